/**
 * Finds every error code src/ can raise, by reading the sources (TypeScript's parser, no type
 * check): each `new SomeError(...)` of a class that derives from EngineError, with the code it
 * passes or the code its class fixes or defaults to, and each `{ code: 'X', message }` record
 * (job and worker errors). Used by test/errors-catalogue.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export const CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

export interface ThrowSite {
  readonly code: string;
  /** The status the site names itself (a literal), when it names one. */
  readonly status: number | undefined;
  readonly where: string;
  readonly via: string;
}

/** A site whose code is neither a literal nor an existing error's `.code`. */
export interface DynamicSite {
  readonly where: string;
  readonly via: string;
  readonly expression: string;
}

export interface ScanResult {
  readonly sites: ThrowSite[];
  readonly dynamic: DynamicSite[];
}

interface ClassDecl {
  readonly name: string;
  readonly parent: string | undefined;
  readonly ctor: ts.ConstructorDeclaration | undefined;
}

interface ClassInfo {
  /** Codes the class always uses (no code parameter). */
  readonly fixedCodes: string[] | undefined;
  readonly codeIndex: number | undefined;
  readonly defaultCode: string | undefined;
  /** Literal members of the code parameter's type (e.g. FitsErrorCode), when it is such a union. */
  readonly codeUnion: string[] | undefined;
  readonly fixedStatus: number | undefined;
  readonly statusIndex: number | undefined;
  /** The status is `param.httpStatus` of an options object at statusIndex. */
  readonly statusInOptions: boolean;
  readonly defaultStatus: number | undefined;
}

const ROOT: ClassInfo = {
  fixedCodes: undefined, codeIndex: 0, defaultCode: undefined, codeUnion: undefined,
  fixedStatus: undefined, statusIndex: 2, statusInOptions: false, defaultStatus: 500,
};

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function stringLiterals(e: ts.Expression | undefined): string[] | undefined {
  if (!e) return undefined;
  if (ts.isParenthesizedExpression(e)) return stringLiterals(e.expression);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return CODE_PATTERN.test(e.text) ? [e.text] : undefined;
  if (ts.isConditionalExpression(e)) {
    const a = stringLiterals(e.whenTrue);
    const b = stringLiterals(e.whenFalse);
    return a && b ? [...a, ...b] : undefined;
  }
  return undefined;
}

function numberLiteral(e: ts.Expression | undefined): number | undefined {
  if (!e) return undefined;
  if (ts.isParenthesizedExpression(e)) return numberLiteral(e.expression);
  return ts.isNumericLiteral(e) ? Number(e.text) : undefined;
}

function findSuperCall(node: ts.Node): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function paramIndex(ctor: ts.ConstructorDeclaration, e: ts.Expression): number | undefined {
  if (!ts.isIdentifier(e)) return undefined;
  const i = ctor.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === e.text);
  return i >= 0 ? i : undefined;
}

export function scanErrorCodes(srcDir: string): ScanResult {
  const files = walk(srcDir, []).sort();
  const sources = files.map((f) => ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true));
  const classes = new Map<string, ClassDecl>();
  const unions = new Map<string, string[]>();
  for (const sf of sources) {
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name) {
        const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
        classes.set(n.name.text, {
          name: n.name.text,
          parent: ext && ts.isIdentifier(ext) ? ext.text : undefined,
          ctor: n.members.find(ts.isConstructorDeclaration),
        });
      }
      if (ts.isTypeAliasDeclaration(n) && ts.isUnionTypeNode(n.type)) {
        const members = n.type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined));
        if (members.every((m) => m !== undefined && CODE_PATTERN.test(m))) unions.set(n.name.text, members as string[]);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  const infos = new Map<string, ClassInfo | null>();
  const infoOf = (name: string): ClassInfo | null => {
    if (name === 'EngineError') return ROOT;
    if (infos.has(name)) return infos.get(name)!;
    infos.set(name, null); // cycles and non-engine classes
    const decl = classes.get(name);
    const parent = decl?.parent === undefined ? null : infoOf(decl.parent);
    if (!decl || !parent) return null;
    if (!decl.ctor) {
      infos.set(name, parent);
      return parent;
    }
    const ctor = decl.ctor;
    const args = findSuperCall(ctor)?.arguments ?? ts.factory.createNodeArray<ts.Expression>([]);
    let info: ClassInfo = { ...parent, codeIndex: undefined, statusIndex: undefined, statusInOptions: false, defaultCode: undefined, codeUnion: undefined };
    // The code.
    if (parent.fixedCodes) info = { ...info, fixedCodes: parent.fixedCodes };
    else {
      const e = args[parent.codeIndex!];
      const lits = stringLiterals(e);
      const i = e ? paramIndex(ctor, e) : undefined;
      if (!e) info = { ...info, fixedCodes: parent.defaultCode ? [parent.defaultCode] : [] };
      else if (lits) info = { ...info, fixedCodes: lits };
      else if (i !== undefined) {
        const p = ctor.parameters[i]!;
        const typeName = p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) ? p.type.typeName.text : undefined;
        info = {
          ...info,
          fixedCodes: undefined,
          codeIndex: i,
          defaultCode: stringLiterals(p.initializer)?.[0],
          codeUnion: typeName ? unions.get(typeName) : undefined,
        };
      } else info = { ...info, fixedCodes: [] };
    }
    // The status (best effort: a literal, a parameter, or `options.httpStatus ?? N`).
    if (parent.fixedStatus !== undefined) info = { ...info, fixedStatus: parent.fixedStatus };
    else if (parent.statusIndex !== undefined && !parent.statusInOptions) {
      const e = args[parent.statusIndex];
      const n = numberLiteral(e);
      const i = e ? paramIndex(ctor, e) : undefined;
      if (!e) info = { ...info, fixedStatus: parent.defaultStatus };
      else if (n !== undefined) info = { ...info, fixedStatus: n };
      else if (i !== undefined) info = { ...info, fixedStatus: undefined, statusIndex: i, defaultStatus: numberLiteral(ctor.parameters[i]!.initializer) };
      else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken && ts.isPropertyAccessExpression(e.left)
        && e.left.name.text === 'httpStatus' && paramIndex(ctor, e.left.expression) !== undefined) {
        info = { ...info, fixedStatus: undefined, statusIndex: paramIndex(ctor, e.left.expression), statusInOptions: true, defaultStatus: numberLiteral(e.right) };
      } else info = { ...info, fixedStatus: undefined, defaultStatus: undefined };
    } else if (parent.statusInOptions) {
      const e = args[parent.statusIndex!];
      const prop = e && ts.isObjectLiteralExpression(e)
        ? e.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'httpStatus')
        : undefined;
      info = { ...info, fixedStatus: prop ? numberLiteral(prop.initializer) : parent.defaultStatus };
    } else info = { ...info, fixedStatus: undefined, defaultStatus: undefined };
    infos.set(name, info);
    return info;
  };

  const sites: ThrowSite[] = [];
  const dynamic: DynamicSite[] = [];
  for (const sf of sources) {
    const file = relative(join(srcDir, '..'), sf.fileName);
    const at = (n: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression)) {
        const cls = n.expression.text;
        const info = infoOf(cls);
        if (info) {
          const args = n.arguments ?? ts.factory.createNodeArray<ts.Expression>([]);
          let status = info.fixedStatus;
          if (status === undefined && info.statusIndex !== undefined) {
            const e = args[info.statusIndex];
            if (!e) status = info.defaultStatus;
            else if (info.statusInOptions) {
              const prop = ts.isObjectLiteralExpression(e)
                ? e.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'httpStatus')
                : undefined;
              status = prop ? numberLiteral(prop.initializer) : info.defaultStatus;
            } else status = numberLiteral(e);
          }
          const push = (codes: string[], via: string): void => {
            // A code chosen among several (AuthError picks its code from its status): no status to check.
            for (const code of codes) sites.push({ code, status: codes.length > 1 ? undefined : status, where: at(n), via });
          };
          if (info.fixedCodes) push(info.fixedCodes, cls);
          else {
            const e = args[info.codeIndex!];
            const lits = stringLiterals(e);
            if (!e) push(info.defaultCode ? [info.defaultCode] : [], cls);
            else if (lits) push(lits, cls);
            else if (info.codeUnion) push(info.codeUnion, `${cls} (any code of its type)`);
            else if (!(ts.isPropertyAccessExpression(e) && e.name.text === 'code')) {
              dynamic.push({ where: at(n), via: cls, expression: e.getText(sf) });
            }
          }
        }
      }
      // Error records: { code: 'X', message: ..., httpStatus: N } (job errors, worker results).
      if (ts.isObjectLiteralExpression(n)) {
        const prop = (key: string): ts.PropertyAssignment | undefined =>
          n.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === key);
        const code = stringLiterals(prop('code')?.initializer);
        if (code && prop('message')) {
          for (const c of code) sites.push({ code: c, status: numberLiteral(prop('httpStatus')?.initializer), where: at(n), via: 'error record' });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { sites, dynamic };
}
