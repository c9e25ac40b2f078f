import type { VpcState } from '../model/vpc-state.ts';
import type { QueryParams } from '../ec2/query-params.ts';
import type { AuthorizationRequest } from './evaluate.ts';

/**
 * What IAM evaluates for each emulated EC2 action: the resources it touches and the condition keys
 * each carries, after the Service Authorization Reference for Amazon EC2 ("Actions, resources, and
 * condition keys for Amazon EC2"). Every request returned must be allowed for the call to proceed.
 *
 * - Describe* actions support no resource-level permissions: one request on `*`.
 * - CreateNetworkInterface: the new ENI (`network-interface/*`, with aws:RequestTag/*, aws:TagKeys,
 *   ec2:Vpc, ec2:Subnet, ec2:AvailabilityZone), the subnet and each security group (ec2:Vpc and
 *   their own aws:ResourceTag/*); with TagSpecification also ec2:CreateTags on the new ENI with
 *   ec2:CreateAction = CreateNetworkInterface (tag-on-create authorisation).
 * - Attach/DetachNetworkInterface: the instance and the ENI.
 * - Delete/ModifyNetworkInterfaceAttribute/Assign/UnassignPrivateIpAddresses: the ENI (Modify also
 *   each security group it sets).
 * - CreateTags/DeleteTags: each resource named, with aws:RequestTag/* (CreateTags), aws:TagKeys and
 *   its current aws:ResourceTag/*; no ec2:CreateAction, so a "tag only at creation" grant refuses them.
 *
 * Resources named by id are resolved first, so a missing one fails with EC2's NotFound error (as the
 * unauthorised caller of a missing ENI would otherwise learn nothing useful either way).
 */

export interface ArnScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

type Context = Record<string, string | readonly string[]>;

const KIND_BY_PREFIX: Record<string, string> = {
  eni: 'network-interface',
  subnet: 'subnet',
  sg: 'security-group',
  i: 'instance',
  vpc: 'vpc',
};

export function ec2AuthorizationRequests(
  state: VpcState,
  scope: ArnScope,
  action: string,
  q: QueryParams,
): AuthorizationRequest[] {
  const arn = (kind: string, id: string) =>
    `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:${kind}/${id}`;
  const base: Context = {
    'aws:RequestedRegion': scope.region,
    'ec2:Region': scope.region,
  };
  const resourceTags = (id: string): Context =>
    Object.fromEntries([...(state.tags.get(id) ?? new Map<string, string>())].map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const req = (resource: string, context: Context, a = action): AuthorizationRequest => ({
    action: `ec2:${a}`,
    resource,
    context: { ...base, ...context },
  });
  const eniReq = (eniId: string, a = action) => {
    const eni = state.eni(eniId);
    return req(arn('network-interface', eni.id), {
      ...resourceTags(eni.id),
      'ec2:Vpc': arn('vpc', eni.vpcId),
      'ec2:Subnet': arn('subnet', eni.subnetId),
      'ec2:AvailabilityZone': eni.availabilityZone,
      ...(eni.attachment ? { 'ec2:InstanceId': eni.attachment.instanceId } : {}),
    }, a);
  };
  const instanceReq = (instanceId: string) => {
    const inst = state.instance(instanceId);
    return req(arn('instance', inst.id), {
      ...resourceTags(inst.id),
      'ec2:InstanceId': inst.id,
      'ec2:AvailabilityZone': inst.availabilityZone,
    });
  };
  const sgReq = (groupId: string) => {
    const sg = state.securityGroup(groupId);
    return req(arn('security-group', sg.id), { ...resourceTags(sg.id), 'ec2:Vpc': arn('vpc', sg.vpcId) });
  };
  const requestTags = (tags: Record<string, string>): Context => ({
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  });

  if (action.startsWith('Describe')) return [req('*', {})];
  switch (action) {
    case 'CreateNetworkInterface': {
      const subnet = state.subnet(q.required('SubnetId'));
      const tags: Record<string, string> = {};
      for (const rec of q.records('TagSpecification')) {
        for (const k of rec.keys()) {
          const m = /^Tag\.(\d+)\.Key$/.exec(k);
          if (m) tags[rec.get(k)!] = rec.get(`Tag.${m[1]}.Value`) ?? '';
        }
      }
      const where: Context = {
        'ec2:Vpc': arn('vpc', subnet.vpcId),
        'ec2:Subnet': arn('subnet', subnet.id),
        'ec2:AvailabilityZone': subnet.availabilityZone,
      };
      const eniArn = arn('network-interface', '*');
      const out = [
        req(eniArn, { ...where, ...requestTags(tags) }),
        req(arn('subnet', subnet.id), { ...resourceTags(subnet.id), ...where }),
        ...q.list('SecurityGroupId').map(sgReq),
      ];
      if (Object.keys(tags).length > 0) {
        out.push(
          req(eniArn, { ...where, ...requestTags(tags), 'ec2:CreateAction': 'CreateNetworkInterface' }, 'CreateTags'),
        );
      }
      return out;
    }
    case 'AttachNetworkInterface':
      return [instanceReq(q.required('InstanceId')), eniReq(q.required('NetworkInterfaceId'))];
    case 'DetachNetworkInterface': {
      const { eni, attachment } = state.attachment(q.required('AttachmentId'));
      return [instanceReq(attachment.instanceId), eniReq(eni.id)];
    }
    case 'DeleteNetworkInterface':
    case 'AssignPrivateIpAddresses':
    case 'UnassignPrivateIpAddresses':
      return [eniReq(q.required('NetworkInterfaceId'))];
    case 'ModifyNetworkInterfaceAttribute':
      return [eniReq(q.required('NetworkInterfaceId')), ...q.list('SecurityGroupId').map(sgReq)];
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = q.tags('Tag');
      const context: Context =
        action === 'CreateTags'
          ? requestTags(Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])))
          : { 'aws:TagKeys': tags.map((t) => t.key) };
      return q.list('ResourceId').map((id) => {
        const kind = KIND_BY_PREFIX[id.slice(0, id.indexOf('-'))] ?? 'unknown';
        if (kind === 'network-interface') state.eni(id);
        return req(arn(kind, id), { ...resourceTags(id), ...context });
      });
    }
    default:
      // An action added to the emulator without a mapping must not slip through unauthorised.
      return [req('*', {})];
  }
}
