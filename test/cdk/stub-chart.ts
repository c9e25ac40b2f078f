/**
 * A minimal Helm chart in a temporary directory, standing in for charts/vpcwire (issue 12's chart)
 * until it is in this tree: the app only needs a directory to make an asset of. Never committed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StubChart {
  readonly dir: string;
  /** The chart directory (what the app's chartPath takes). */
  readonly chartPath: string;
  remove(): void;
}

export function makeStubChart(): StubChart {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-cdk-test-'));
  const chartPath = join(dir, 'vpcwire');
  mkdirSync(join(chartPath, 'templates'), { recursive: true });
  writeFileSync(join(chartPath, 'Chart.yaml'), 'apiVersion: v2\nname: vpcwire\nversion: 0.0.0-test\n');
  writeFileSync(join(chartPath, 'values.yaml'), 'env: {}\n');
  writeFileSync(join(chartPath, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vpcwire-stub\n');
  return { dir, chartPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
