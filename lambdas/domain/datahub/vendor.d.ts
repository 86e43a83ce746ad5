// Type declarations for the SPDX packages, which ship none (spdx-expression-parse 5.0.0,
// spdx-license-ids 3.0.24, spdx-exceptions 2.5.0: JSON lists and one parser function).
declare module 'spdx-expression-parse' {
  type Node = { license: string; plus?: boolean; exception?: string } | { left: Node; conjunction: 'and' | 'or'; right: Node };
  function parse(source: string): Node;
  export = parse;
}
declare module 'spdx-license-ids' {
  const ids: string[];
  export = ids;
}
declare module 'spdx-license-ids/deprecated' {
  const ids: string[];
  export = ids;
}
declare module 'spdx-exceptions' {
  const ids: string[];
  export = ids;
}
