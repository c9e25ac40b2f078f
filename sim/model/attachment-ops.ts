import { AwsError } from '../errors.ts';
import { slotLimit, usedSlots } from './address-ops.ts';
import { resourceId } from './ids.ts';
import { totalEniLimit } from './limits.ts';
import type { Attachment } from './types.ts';
import type { VpcState } from './vpc-state.ts';

export function attachNetworkInterface(
  state: VpcState,
  input: { eniId: string; instanceId: string; deviceIndex: number; networkCardIndex?: number },
): Attachment {
  const eni = state.eni(input.eniId);
  const inst = state.instance(input.instanceId);
  if (inst.state !== 'running') {
    throw new AwsError('IncorrectInstanceState', `The instance '${inst.id}' is not in the 'running' state.`);
  }
  if (eni.attachment || eni.status !== 'available') {
    throw new AwsError(
      'InvalidNetworkInterface.InUse',
      `Interface ${eni.id} is currently in use (attached to ${eni.attachment?.instanceId ?? 'another instance'}).`,
    );
  }
  if (eni.vpcId !== inst.vpcId || eni.availabilityZone !== inst.availabilityZone) {
    throw new AwsError(
      'InvalidParameterCombination',
      `You may not attach a network interface to an instance if they are not in the same availability zone and VPC (${eni.availabilityZone} vs ${inst.availabilityZone}).`,
    );
  }
  if (!Number.isInteger(input.deviceIndex) || input.deviceIndex < 0) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${input.deviceIndex}) for parameter deviceIndex is invalid.`,
    );
  }
  const cardIndex = input.networkCardIndex ?? inst.limits.defaultNetworkCardIndex;
  const card = inst.limits.networkCards.find((c) => c.networkCardIndex === cardIndex);
  if (!card) {
    throw new AwsError(
      'InvalidParameterValue',
      `Network card index ${cardIndex} is not valid for instance type ${inst.limits.instanceType}.`,
    );
  }
  const attached = state.enisOf(inst.id);
  const taken = attached.find(
    (e) => e.attachment!.deviceIndex === input.deviceIndex && e.attachment!.networkCardIndex === cardIndex,
  );
  if (taken) {
    throw new AwsError(
      'InvalidParameterValue',
      `Instance '${inst.id}' already has an interface attached at device index '${input.deviceIndex}'.`,
    );
  }
  // Limits are per network card (the card's maximum) and, on single-card types, the type's ENI limit.
  const onCard = attached.filter((e) => e.attachment!.networkCardIndex === cardIndex).length;
  const cardLimit = inst.limits.networkCards.length > 1 ? card.maximumNetworkInterfaces : inst.limits.maxEnis;
  if (onCard >= cardLimit || attached.length >= totalEniLimit(inst.limits)) {
    throw new AwsError(
      'AttachmentLimitExceeded',
      `Interface count ${onCard + 1} exceeds the limit for ${inst.limits.instanceType} on network card ${cardIndex}.`,
    );
  }
  if (usedSlots(eni) > inst.limits.ipv4PerEni) {
    throw new AwsError(
      'PrivateIpAddressLimitExceeded',
      `Interface ${eni.id} holds ${usedSlots(eni)} addresses; ${inst.limits.instanceType} allows ${slotLimit(state, eni).limit} per interface.`,
    );
  }
  const attachment: Attachment = {
    id: resourceId('eni-attach'),
    instanceId: inst.id,
    deviceIndex: input.deviceIndex,
    networkCardIndex: cardIndex,
    attachTime: new Date(state.clock.now()),
    status: 'attaching',
    deleteOnTermination: false,
  };
  eni.attachment = attachment;
  eni.status = 'in-use';
  state.after(state.timings.attachDelayMs, () => {
    if (eni.attachment !== attachment || attachment.status !== 'attaching') return;
    attachment.status = 'attached';
    state.emit({ type: 'eni-attached', instanceId: inst.id, eniId: eni.id });
  });
  return attachment;
}

export function detachNetworkInterface(state: VpcState, attachmentId: string, _force = false): void {
  const { eni, attachment } = state.attachment(attachmentId);
  if (attachment.deviceIndex === 0) {
    throw new AwsError(
      'OperationNotPermitted',
      'The network interface at device index 0 cannot be detached.',
    );
  }
  if (attachment.status === 'detaching') {
    throw new AwsError('IncorrectState', `Attachment ${attachment.id} is already detaching.`);
  }
  const wasAttached = attachment.status === 'attached';
  attachment.status = 'detaching';
  state.after(state.timings.detachDelayMs, () => {
    if (eni.attachment !== attachment) return;
    eni.attachment = undefined;
    eni.status = 'available';
    if (wasAttached) state.emit({ type: 'eni-detached', instanceId: attachment.instanceId, eniId: eni.id });
  });
}
