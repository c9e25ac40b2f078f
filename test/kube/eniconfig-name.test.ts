/** Which ENIConfig a Node uses: upstream's precedence (pkg/eniconfig GetNodeSpecificENIConfigName). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { eniConfigNameOf } from '../../ipamd/kube/node.ts';

const defs = { eniConfigLabelDef: 'k8s.amazonaws.com/eniConfig', eniConfigAnnotationDef: 'k8s.amazonaws.com/eniConfig' };
const node = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}): V1Node => ({ metadata: { name: 'n', labels, annotations } });

test('external label, then annotation, then label, then "default"', () => {
  assert.equal(eniConfigNameOf(node(), defs), 'default');
  assert.equal(eniConfigNameOf(node({ 'k8s.amazonaws.com/eniConfig': 'by-label' }), defs), 'by-label');
  assert.equal(eniConfigNameOf(node({ 'k8s.amazonaws.com/eniConfig': 'by-label' }, { 'k8s.amazonaws.com/eniConfig': 'by-annotation' }), defs), 'by-annotation');
  assert.equal(
    eniConfigNameOf(node({ 'k8s.amazonaws.com/eniConfig': 'by-label', 'vpc.amazonaws.com/externalEniConfig': 'external' }, { 'k8s.amazonaws.com/eniConfig': 'a' }), defs),
    'external',
  );
});

test('ENI_CONFIG_LABEL_DEF / ENI_CONFIG_ANNOTATION_DEF choose other keys (e.g. the zone label)', () => {
  const zone = { eniConfigLabelDef: 'topology.kubernetes.io/zone', eniConfigAnnotationDef: 'example.com/eni' };
  assert.equal(eniConfigNameOf(node({ 'topology.kubernetes.io/zone': 'us-west-2a', 'k8s.amazonaws.com/eniConfig': 'ignored' }), zone), 'us-west-2a');
  assert.equal(eniConfigNameOf(node({ 'topology.kubernetes.io/zone': 'us-west-2a' }, { 'example.com/eni': 'pinned' }), zone), 'pinned');
});
