// Validate CloudNativePG and Prometheus-operator objects (JSON array on stdin) with the validators
// kubernetes-models generated from their API types; prints one line per error and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { Cluster, ScheduledBackup, Database } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";
import { PodMonitor, PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const kinds = {
  "postgresql.cnpg.io/v1": { Cluster, ScheduledBackup, Database },
  "monitoring.coreos.com/v1": { PodMonitor, PrometheusRule, ServiceMonitor },
};
let failed = false;
for (const doc of JSON.parse(readFileSync(0, "utf8"))) {
  const Model = (kinds[doc.apiVersion] || {})[doc.kind];
  const where = `${doc.kind}/${doc.metadata.name}`;
  if (!Model) { console.log(`${where}: no model for ${doc.apiVersion} ${doc.kind}`); failed = true; continue; }
  try { new Model(doc).validate(); } catch (error) { console.log(`${where}: ${error.message}`); failed = true; }
}
process.exit(failed ? 1 : 0);
