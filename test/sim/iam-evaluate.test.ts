import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  arnMatch,
  type AuthorizationRequest,
  evaluate,
  type PolicyDocument,
  type PolicyStatement,
  validatePolicy,
} from '../../sim/iam/evaluate.ts';

const ENI = 'arn:aws:ec2:us-west-2:111122223333:network-interface/eni-0abc';
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const req = (action: string, resource = ENI, context: AuthorizationRequest['context'] = {}): AuthorizationRequest => ({
  action,
  resource,
  context,
});
const allow = (extra: Partial<PolicyStatement>): PolicyStatement => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });

describe('IAM evaluator', () => {
  const cases: [string, PolicyDocument[], AuthorizationRequest, 'allow' | 'explicit-deny' | 'implicit-deny'][] = [
    ['no policies: implicit deny', [], req('ec2:DescribeTags', '*'), 'implicit-deny'],
    ['exact action', [doc(allow({ Action: 'ec2:DescribeTags' }))], req('ec2:DescribeTags', '*'), 'allow'],
    ['action is case-insensitive', [doc(allow({ Action: 'EC2:describetags' }))], req('ec2:DescribeTags', '*'), 'allow'],
    ['action wildcard', [doc(allow({ Action: 'ec2:Describe*' }))], req('ec2:DescribeSubnets', '*'), 'allow'],
    ['action wildcard ?', [doc(allow({ Action: 'ec2:DescribeTag?' }))], req('ec2:DescribeTags', '*'), 'allow'],
    ['action wildcard misses', [doc(allow({ Action: 'ec2:Describe*' }))], req('ec2:DeleteNetworkInterface'), 'implicit-deny'],
    ['other service', [doc(allow({ Action: 'ec2:*' }))], req('cloudwatch:PutMetricData', '*'), 'implicit-deny'],
    ['NotAction allows the rest', [doc(allow({ Action: undefined, NotAction: 'ec2:Delete*' }))], req('ec2:AttachNetworkInterface'), 'allow'],
    ['NotAction excludes', [doc(allow({ Action: undefined, NotAction: ['ec2:Delete*'] }))], req('ec2:DeleteNetworkInterface'), 'implicit-deny'],
    ['resource wildcard', [doc(allow({ Resource: 'arn:aws:ec2:*:*:network-interface/*' }))], req('ec2:DeleteNetworkInterface'), 'allow'],
    ['resource of another type', [doc(allow({ Resource: 'arn:aws:ec2:*:*:subnet/*' }))], req('ec2:DeleteNetworkInterface'), 'implicit-deny'],
    ['a specific resource does not cover "*" (no resource-level permissions)', [doc(allow({ Resource: 'arn:aws:ec2:*:*:network-interface/*' }))], req('ec2:DescribeTags', '*'), 'implicit-deny'],
    ['resource ARNs are case-sensitive', [doc(allow({ Resource: 'arn:aws:ec2:*:*:network-interface/ENI-0ABC' }))], req('ec2:DeleteNetworkInterface'), 'implicit-deny'],
    ['NotResource', [doc(allow({ Resource: undefined, NotResource: 'arn:aws:ec2:*:*:subnet/*' }))], req('ec2:DeleteNetworkInterface'), 'allow'],
    ['NotResource excludes', [doc(allow({ Resource: undefined, NotResource: 'arn:aws:ec2:*:*:network-interface/*' }))], req('ec2:DeleteNetworkInterface'), 'implicit-deny'],
    ['explicit deny wins over allow', [doc(allow({})), doc({ Effect: 'Deny', Action: 'ec2:Delete*', Resource: '*' })], req('ec2:DeleteNetworkInterface'), 'explicit-deny'],
    ['deny that does not apply', [doc(allow({}), { Effect: 'Deny', Action: 'ec2:Delete*', Resource: '*' })], req('ec2:AttachNetworkInterface'), 'allow'],
    ['StringEquals holds', [doc(allow({ Condition: { StringEquals: { 'aws:ResourceTag/team': 'net' } } }))], req('ec2:X', ENI, { 'aws:ResourceTag/team': 'net' }), 'allow'],
    ['StringEquals key is case-insensitive', [doc(allow({ Condition: { StringEquals: { 'AWS:resourcetag/team': 'net' } } }))], req('ec2:X', ENI, { 'aws:ResourceTag/team': 'net' }), 'allow'],
    ['StringEquals value is case-sensitive', [doc(allow({ Condition: { StringEquals: { 'aws:ResourceTag/team': 'Net' } } }))], req('ec2:X', ENI, { 'aws:ResourceTag/team': 'net' }), 'implicit-deny'],
    ['StringEquals, key missing', [doc(allow({ Condition: { StringEquals: { 'aws:ResourceTag/team': 'net' } } }))], req('ec2:X'), 'implicit-deny'],
    ['StringEquals, any of the values', [doc(allow({ Condition: { StringEquals: { 'ec2:Vpc': ['a', 'b'] } } }))], req('ec2:X', ENI, { 'ec2:Vpc': 'b' }), 'allow'],
    ['two keys: both must hold', [doc(allow({ Condition: { StringEquals: { a: '1', b: '2' } } }))], req('ec2:X', ENI, { a: '1', b: '3' }), 'implicit-deny'],
    ['two operators: both must hold', [doc(allow({ Condition: { StringEquals: { a: '1' }, StringLike: { b: 'x*' } } }))], req('ec2:X', ENI, { a: '1', b: 'xyz' }), 'allow'],
    ['StringNotEquals, key missing holds', [doc(allow({ Condition: { StringNotEquals: { a: '1' } } }))], req('ec2:X'), 'allow'],
    ['StringNotEquals', [doc(allow({ Condition: { StringNotEquals: { a: '1' } } }))], req('ec2:X', ENI, { a: '1' }), 'implicit-deny'],
    ['StringEqualsIfExists, key missing', [doc(allow({ Condition: { StringEqualsIfExists: { a: '1' } } }))], req('ec2:X'), 'allow'],
    ['StringEqualsIfExists, key differs', [doc(allow({ Condition: { StringEqualsIfExists: { a: '1' } } }))], req('ec2:X', ENI, { a: '2' }), 'implicit-deny'],
    ['StringLike', [doc(allow({ Condition: { StringLike: { 'aws:RequestTag/name': 'clus?er-*' } } }))], req('ec2:X', ENI, { 'aws:RequestTag/name': 'cluster-a' }), 'allow'],
    ['StringLike misses', [doc(allow({ Condition: { StringLike: { 'aws:RequestTag/name': 'cluster-*' } } }))], req('ec2:X', ENI, { 'aws:RequestTag/name': 'other' }), 'implicit-deny'],
    ['ArnLike', [doc(allow({ Condition: { ArnLike: { 'ec2:Vpc': 'arn:aws:ec2:*:111122223333:vpc/*' } } }))], req('ec2:X', ENI, { 'ec2:Vpc': 'arn:aws:ec2:us-west-2:111122223333:vpc/vpc-1' }), 'allow'],
    ['ArnLike other account', [doc(allow({ Condition: { ArnLike: { 'ec2:Vpc': 'arn:aws:ec2:*:111122223333:vpc/*' } } }))], req('ec2:X', ENI, { 'ec2:Vpc': 'arn:aws:ec2:us-west-2:999999999999:vpc/vpc-1' }), 'implicit-deny'],
    ['ForAllValues:StringEquals, subset', [doc(allow({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } } }))], req('ec2:X', ENI, { 'aws:TagKeys': ['a'] }), 'allow'],
    ['ForAllValues:StringEquals, extra key', [doc(allow({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } } }))], req('ec2:X', ENI, { 'aws:TagKeys': ['a', 'c'] }), 'implicit-deny'],
    ['ForAllValues, key missing is vacuously true', [doc(allow({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } } }))], req('ec2:X'), 'allow'],
    ['ForAnyValue:StringEquals', [doc(allow({ Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } } }))], req('ec2:X', ENI, { 'aws:TagKeys': ['c', 'a'] }), 'allow'],
    ['ForAnyValue, key missing', [doc(allow({ Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } } }))], req('ec2:X'), 'implicit-deny'],
    ['Null true: key absent', [doc(allow({ Condition: { Null: { 'aws:RequestTag/x': 'true' } } }))], req('ec2:X'), 'allow'],
    ['Null true: key present', [doc(allow({ Condition: { Null: { 'aws:RequestTag/x': 'true' } } }))], req('ec2:X', ENI, { 'aws:RequestTag/x': '' }), 'implicit-deny'],
    ['Null false: key present', [doc(allow({ Condition: { Null: { 'aws:RequestTag/x': 'false' } } }))], req('ec2:X', ENI, { 'aws:RequestTag/x': 'v' }), 'allow'],
    ['Bool', [doc(allow({ Condition: { Bool: { 'aws:SecureTransport': true } } }))], req('ec2:X', ENI, { 'aws:SecureTransport': 'true' }), 'allow'],
    ['Bool false', [doc(allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))], req('ec2:X', ENI, { 'aws:SecureTransport': 'false' }), 'implicit-deny'],
    ['deny with condition applies only when it holds', [doc(allow({}), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'ec2:Vpc': 'v1' } } })], req('ec2:X', ENI, { 'ec2:Vpc': 'v1' }), 'allow'],
    ['deny with condition', [doc(allow({}), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'ec2:Vpc': 'v1' } } })], req('ec2:X', ENI, { 'ec2:Vpc': 'v2' }), 'explicit-deny'],
  ];
  for (const [name, policies, r, want] of cases) {
    test(name, () => assert.equal(evaluate(policies, r).decision, want));
  }

  test('trust policies: Principal by type and id, no Resource needed', () => {
    const trust = doc({ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] } as PolicyStatement);
    validatePolicy(trust, 'trust');
    assert.throws(() => validatePolicy(trust), /Resource/);
    assert.throws(() => validatePolicy({ Statement: [{ ...(trust.Statement as PolicyStatement[])[0]!, Resource: "*" }] }), /identity policy has no Principal/);
    const role = 'arn:aws:iam::111122223333:role/r';
    const as = (type: 'AWS' | 'Federated' | 'Service', id: string, action = 'sts:AssumeRole') =>
      evaluate([trust], { principal: { type, id }, action, resource: role, context: {} }).decision;
    assert.equal(as('Service', 'pods.eks.amazonaws.com'), 'allow');
    assert.equal(as('Service', 'pods.eks.amazonaws.com', 'sts:TagSession'), 'allow');
    assert.equal(as('Service', 'ec2.amazonaws.com'), 'implicit-deny');
    assert.equal(as('AWS', 'pods.eks.amazonaws.com'), 'implicit-deny');
    assert.equal(evaluate([trust], { action: 'sts:AssumeRole', resource: role, context: {} }).decision, 'implicit-deny');
    const any = doc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' } as PolicyStatement);
    assert.equal(evaluate([any], { action: 'sts:AssumeRole', resource: role, context: {} }).decision, 'allow');
  });

  test('ARNs match component by component; the resource part keeps its colons and slashes', () => {
    assert.ok(arnMatch('arn:aws:ec2:*:*:network-interface/*', ENI));
    assert.ok(!arnMatch('arn:aws:ec2:*:*:network-interface/*', 'arn:aws:ec2:us-west-2:1:subnet/subnet-1'));
    assert.ok(arnMatch('arn:aws:logs:*:*:log-group:a:*', 'arn:aws:logs:r:1:log-group:a:log-stream:b'));
    assert.ok(!arnMatch('arn:aws:ec2:us-east-1:*:*', ENI));
  });

  test('documents using what the evaluator does not implement are refused, not misread', () => {
    assert.throws(() => validatePolicy(doc(allow({ Condition: { NumericLessThan: { n: '1' } } }))), /NumericLessThan/);
    assert.throws(() => validatePolicy(doc({ Effect: 'Allow', Resource: '*' } as PolicyStatement)), /Action/);
    assert.throws(() => validatePolicy(doc({ Effect: 'Permit', Action: '*', Resource: '*' } as unknown as PolicyStatement)), /Effect/);
    assert.throws(() => validatePolicy({} as PolicyDocument), /Statement/);
    assert.throws(() => validatePolicy('x' as unknown as PolicyDocument), /Statement/);
    assert.throws(() => validatePolicy({ Statement: ['x'] } as unknown as PolicyDocument), /statement must be an object/);
    validatePolicy(doc(allow({ Condition: { 'ForAllValues:StringLike': { k: 'a*' }, StringEqualsIfExists: { j: 'x' } } })));
  });
});
