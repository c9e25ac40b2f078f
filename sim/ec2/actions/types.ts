import type { VpcState } from '../../model/vpc-state.ts';
import type { QueryParams } from '../query-params.ts';
import type { XmlValue } from '../xml.ts';

export interface ActionContext {
  readonly state: VpcState;
  readonly q: QueryParams;
}

/** An EC2 action: reads its parameters, acts on the state, returns the body of `<ActionResponse>`. */
export type Action = (ctx: ActionContext) => Record<string, XmlValue>;
