/** A label set, as Prometheus, Alertmanager and Loki use them. */
export type Labels = Readonly<Record<string, string>>;
