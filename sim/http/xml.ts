import { XMLBuilder } from 'fast-xml-parser';

/** The emulator's one XML writer (EC2 and STS): `@_name` keys are attributes; text is escaped. */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

export function buildXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}
