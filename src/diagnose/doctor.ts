/**
 * One `postroom doctor` run: every check over the stored configuration, the last 14 days of
 * collector ingests and mailbox anomalies, and the system (certificate, instance, disk, database);
 * the relay check connects to the smarthost, so it runs only with `network`. Used by the CLI and
 * the admin "Doctor" page.
 */
import type { Store } from '../store/interfaces.js';
import { anomalyFindings } from './doctor-anomalies.js';
import { configChecks, type DoctorFinding } from './doctor-checks.js';
import { checkCertificate, checkDiskSpace, checkInstance, checkRelay, integrityFinding } from './doctor-probes.js';

export interface DoctorReport {
  errors: number;
  warnings: number;
  findings: DoctorFinding[];
}

const DAYS = 14;

export async function runDoctor(store: Store, dataDir: string, opts: { network: boolean }): Promise<DoctorReport> {
  const since = Date.now() - DAYS * 86_400_000;
  const state = await store.config.snapshot();
  const recent = await store.provenance.collectorIngests(since, 500);
  const findings = [
    ...configChecks(state, recent),
    ...anomalyFindings(await store.anomalies.since(since), DAYS),
    ...(opts.network ? [await checkRelay(state.settings)] : []),
    await checkCertificate(dataDir, state.settings),
    checkInstance(dataDir),
    await checkDiskSpace(dataDir),
    integrityFinding(await store.health.integrity()),
  ];
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    findings,
  };
}
