/**
 * The metric names a PromQL expression selects, for checking a dashboard against what ipamd
 * exposes. A tokenizer, not a parser, but careful about what is not a metric name: string
 * literals, label matchers `{...}`, range and subquery brackets `[...]`, Grafana variables
 * (`$__rate_interval`, `${x}`), numbers and durations, function calls (`name(`), aggregation
 * operators, keywords, and the label lists of by/without/on/ignoring/group_left/group_right.
 */

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values may hold anything)
    .replace(/\$\{[^}]*\}|\$\w+/g, '1m') // Grafana variables stand for durations or values
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/#.*$/gm, ' '); // comments
  const names = new Set<string>();
  const re = /[A-Za-z_:][A-Za-z0-9_:]*|\(|\)|[^\sA-Za-z_:()]+|\s+/g;
  const tokens = (text.match(re) ?? []).filter((t) => !/^\s+$/.test(t));
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^[A-Za-z_:]/.test(t)) continue;
    const prev = tokens[i - 1];
    // A number's exponent or a duration's unit (5m, 1e3) is glued to digits by the regex above.
    if (prev !== undefined && /[0-9.]$/.test(prev) && !/\s/.test(prev)) continue;
    const next = tokens[i + 1];
    if (LABEL_LISTS.has(t) && next === '(') {
      // skip the label list
      let depth = 0;
      for (i++; i < tokens.length; i++) {
        if (tokens[i] === '(') depth++;
        else if (tokens[i] === ')' && --depth === 0) break;
      }
      continue;
    }
    if (KEYWORDS.has(t.toLowerCase()) || AGGREGATIONS.has(t)) continue;
    if (next === '(') continue; // a function call
    names.add(t);
  }
  return [...names].sort();
}
