// Validate CloudNativePG objects (JSON array on stdin) with the validators kubernetes-models generated from
// CloudNativePG's API types; prints one line per error and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { Cluster, ScheduledBackup, Database } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";

const kinds = { Cluster, ScheduledBackup, Database };
let failed = false;
for (const doc of JSON.parse(readFileSync(0, "utf8"))) {
  const Model = kinds[doc.kind];
  const where = `${doc.kind}/${doc.metadata.name}`;
  if (!Model) { console.log(`${where}: no CloudNativePG model for this kind`); failed = true; continue; }
  try { new Model(doc).validate(); } catch (error) { console.log(`${where}: ${error.message}`); failed = true; }
}
process.exit(failed ? 1 : 0);
