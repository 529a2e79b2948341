import { secretPath } from '@wmon/contract';

import type { Config } from '../config/schema.js';
import { CONTAINER_PORTS, DNS_NAMES, isEnabled } from '../model/stack.js';
import { DATASOURCE_UIDS } from './dashboards/uids.js';
import { TLS_PATHS } from './web-config.js';

export const DASHBOARD_FOLDER = { uid: 'wmon-webhook', title: 'Webhook' } as const;

/** Where the grafana/ folder of the stack directory is mounted in the container. */
export const GRAFANA_MOUNT = '/etc/grafana/wmon';

/** provisioning/datasources: Prometheus (default), and Loki and Jaeger when they are on. */
export function buildDatasources(config: Config): Record<string, unknown> {
  const on = (id: Parameters<typeof isEnabled>[1]) => isEnabled(config, id);
  const url = (id: 'prometheus' | 'loki' | 'jaeger' | 'alertmanager') =>
    `http://${DNS_NAMES[id]}:${CONTAINER_PORTS[id]}`;
  // Grafana reads the password from its secrets folder ($__file{} in provisioning files), never from here.
  const basicAuth = config.auth
    ? {
        basicAuth: true,
        basicAuthUser: config.auth.username,
        secureJsonData: { basicAuthPassword: `$__file{${secretPath('authPassword')}}` },
      }
    : {};
  const datasources: Array<Record<string, unknown>> = [
    {
      name: 'Prometheus',
      uid: DATASOURCE_UIDS.prometheus,
      type: 'prometheus',
      access: 'proxy',
      url: config.auth?.tls ? url('prometheus').replace(/^http:/, 'https:') : url('prometheus'),
      isDefault: true,
      editable: false,
      jsonData: {
        timeInterval: config.prometheus.scrapeInterval,
        httpMethod: 'POST',
        // With auth.tls Prometheus answers HTTPS: Grafana trusts its CA (or certificate) and checks the name.
        ...(config.auth?.tls ? { tlsAuthWithCACert: true, serverName: config.auth.tls.serverName } : {}),
      },
      // Grafana reads the password from its secrets folder ($__file{} in provisioning files), never from here.
      ...(config.auth
        ? {
            basicAuth: true,
            basicAuthUser: config.auth.username,
            secureJsonData: {
              basicAuthPassword: `$__file{${secretPath('authPassword')}}`,
              ...(config.auth.tls ? { tlsCACert: `$__file{${TLS_PATHS.ca}}` } : {}),
            },
          }
        : {}),
    },
  ];
  if (on('loki')) {
    datasources.push({
      name: 'Loki',
      uid: DATASOURCE_UIDS.loki,
      type: 'loki',
      access: 'proxy',
      url: url('loki'),
      editable: false,
      jsonData: {
        maxLines: 1000,
        ...(on('jaeger')
          ? {
              // The service logs trace ids: link each log line to its trace.
              derivedFields: [
                {
                  name: 'TraceID',
                  matcherRegex: '"trace_id":"(\\w+)"',
                  datasourceUid: DATASOURCE_UIDS.jaeger,
                  url: '$${__value.raw}',
                },
              ],
            }
          : {}),
      },
    });
  }
  if (on('jaeger')) {
    datasources.push({
      name: 'Jaeger',
      uid: DATASOURCE_UIDS.jaeger,
      type: 'jaeger',
      access: 'proxy',
      url: url('jaeger'),
      editable: false,
      ...(on('loki')
        ? {
            jsonData: {
              tracesToLogsV2: {
                datasourceUid: DATASOURCE_UIDS.loki,
                filterByTraceID: true,
                spanStartTimeShift: '-5m',
                spanEndTimeShift: '5m',
              },
            },
          }
        : {}),
    });
  }
  if (on('alertmanager')) {
    // Alerts and silences in Grafana's alerting pages. A Prometheus Alertmanager: silences can be managed
    // there, its routes and receivers are read-only (they come from wmon.yaml); Grafana's own alerts stay out.
    datasources.push({
      name: 'Alertmanager',
      uid: DATASOURCE_UIDS.alertmanager,
      type: 'alertmanager',
      access: 'proxy',
      url: url('alertmanager'),
      editable: false,
      jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      ...basicAuth,
    });
  }
  return { apiVersion: 1, datasources };
}

/** The Grafana folder of `grafana.extraDashboards`, and where its files go under the stack directory. */
export const EXTRA_DASHBOARD_FOLDER = { uid: 'wmon-extra', title: 'Extra dashboards' } as const;
export const EXTRA_DASHBOARDS_DIR = 'grafana/dashboards-extra';

/** provisioning/dashboards: one file provider for the "Webhook" folder, and one for the user's dashboards. */
export function buildDashboardProvider(extra = false): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'wmon',
        orgId: 1,
        folder: DASHBOARD_FOLDER.title,
        folderUid: DASHBOARD_FOLDER.uid,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: `${GRAFANA_MOUNT}/dashboards`, foldersFromFilesStructure: false },
      },
      ...(extra
        ? [
            {
              name: 'wmon-extra',
              orgId: 1,
              folder: EXTRA_DASHBOARD_FOLDER.title,
              folderUid: EXTRA_DASHBOARD_FOLDER.uid,
              type: 'file',
              disableDeletion: true,
              allowUiUpdates: false,
              updateIntervalSeconds: 30,
              options: {
                path: `${GRAFANA_MOUNT}/${EXTRA_DASHBOARDS_DIR.slice('grafana/'.length)}`,
                foldersFromFilesStructure: false,
              },
            },
          ]
        : []),
    ],
  };
}
