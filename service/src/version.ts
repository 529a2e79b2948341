/** The service's version, reported in logs and traces (a test keeps it equal to package.json's). */
export const SERVICE_VERSION = '0.1.0';
