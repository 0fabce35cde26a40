#!/usr/bin/env node
// Generates the Nethereum bindings of the committed contract artifacts
// (contracts/artifacts/<Contract>.abi.json + <Contract>.bin), one .gen.cs per entry of TARGETS:
//   src/StateChannels.Ethereum/Bindings/Adjudicator.gen.cs   the Adjudicator (internal; shipped)
//   src/StateChannels.Ethereum/Bindings/Erc20Errors.gen.cs   errors only: OpenZeppelin's ERC-20
//       errors (IERC6093, the ERC20* entries of TestToken's ABI) that a token's revert bubbles up
//       through `deposit`, for the SDK's revert naming (internal; shipped)
//   tests/StateChannels.TestKit/Bindings/<Token>.gen.cs      the test tokens TestToken, PermitToken,
//       RevertingPermitToken (public; test-only, never in a package)
// The output is a pure function of the artifacts (no timestamps, no paths of this machine,
// members sorted), so the same artifacts always give the same bytes.
//
//   node script/gen-bindings.mjs           rewrite every .gen.cs file
//   node script/gen-bindings.mjs --check   exit 1 (and name the files) when a committed .gen.cs
//                                          differs from a fresh generation, or a .gen.cs in an
//                                          output folder is not generated any more; writes nothing
//
// What is generated, per target, in namespace <Namespace>.<Name>:
//   <Name>Deployment         ContractDeploymentMessage carrying the bytecode (+ constructor args)
//   <Fn>Function             FunctionMessage with [Function]/[Parameter] per ABI function
//   <Fn>OutputDTO            IFunctionOutputDTO for every function with outputs
//   <Ev>EventDTO             IEventDTO with indexed [Parameter]s per ABI event
//   <Er>Error                [Error] class per custom error (decodable with Nethereum)
//   <Struct>                 one class per tuple type (named after its Solidity struct)
//   <Name>Abi                selectors, topics and the custom-error table (selector -> name)
// An errors-only target has just the <Er>Error classes and <Name>Abi's error table.
// Shipped types are internal: the SDK's public surface never exposes Nethereum types.
import { readFileSync, writeFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { id as keccakId } from 'ethers';

const SHIPPED = { dir: 'src/StateChannels.Ethereum/Bindings', namespace: 'StateChannels.Ethereum.Bindings', access: 'internal' };
const TEST_KIT = { dir: 'tests/StateChannels.TestKit/Bindings', namespace: 'StateChannels.TestKit.Bindings', access: 'public' };

// name: the file, namespace segment and type prefix; contract: the artifact it is generated from;
// errors: when set, an errors-only binding of the ABI errors whose name matches it (title: what they are).
const TARGETS = [
  { name: 'Adjudicator', contract: 'Adjudicator', ...SHIPPED },
  { name: 'Erc20Errors', contract: 'TestToken', errors: /^ERC20/, title: "OpenZeppelin's ERC-20 custom errors (IERC6093)", ...SHIPPED },
  { name: 'TestToken', contract: 'TestToken', ...TEST_KIT },
  { name: 'PermitToken', contract: 'PermitToken', ...TEST_KIT },
  { name: 'RevertingPermitToken', contract: 'RevertingPermitToken', ...TEST_KIT },
];

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = resolve(here, '..');
const repoRoot = resolve(contractsDir, '..');
const artifactsDir = join(contractsDir, 'artifacts');

const args = process.argv.slice(2);
const check = args.includes('--check');
for (const a of args) {
  if (a !== '--check') {
    console.error(`unknown argument: ${a}\nusage: gen-bindings.mjs [--check]`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const CSHARP_KEYWORDS = new Set(('abstract as base bool break byte case catch char checked class const continue ' +
  'decimal default delegate do double else enum event explicit extern false finally fixed float for foreach goto ' +
  'if implicit in int interface internal is lock long namespace new null object operator out override params ' +
  'private protected public readonly ref return sbyte sealed short sizeof stackalloc static string struct switch ' +
  'this throw true try typeof uint ulong unchecked unsafe ushort using virtual void volatile while').split(' '));

/** PascalCase identifier: "participant0" -> "Participant0", "AMOUNT_LIMIT" -> "AmountLimit", "_to" -> "To". */
function pascal(name) {
  const parts = name.split('_').filter((p) => p.length > 0);
  if (parts.length === 0) return '';
  const allCaps = name === name.toUpperCase() && /[A-Z]/.test(name);
  let s = parts
    .map((p) => (allCaps ? p[0].toUpperCase() + p.slice(1).toLowerCase() : p[0].toUpperCase() + p.slice(1)))
    .join('');
  if (/^[0-9]/.test(s)) s = '_' + s;
  if (CSHARP_KEYWORDS.has(s)) s = '@' + s;
  return s;
}

/** "struct Adjudicator.Params" -> "Params"; "struct Params[]" -> "Params". */
function structName(param) {
  const it = param.internalType ?? '';
  const m = /^struct\s+(?:[A-Za-z0-9_]+\.)?([A-Za-z0-9_]+)/.exec(it);
  if (!m) throw new Error(`tuple without a struct internalType: ${JSON.stringify(param)}`);
  return pascal(m[1]);
}

/** The canonical ABI type of a parameter ("tuple" expanded), for signatures. */
function canonicalType(param) {
  if (param.type.startsWith('tuple')) {
    const suffix = param.type.slice('tuple'.length);
    return `(${param.components.map(canonicalType).join(',')})${suffix}`;
  }
  return param.type;
}

function signature(item) {
  return `${item.name}(${item.inputs.map(canonicalType).join(',')})`;
}

/** C# type for an ABI type. Integers of any width are BigInteger (Nethereum's default decoding). */
function csType(param, structs) {
  const t = param.type;
  const arr = /^(.*?)((\[[0-9]*\])+)$/.exec(t);
  if (arr) {
    const inner = { ...param, type: arr[1] };
    // Strip one array level at a time: T[][] -> List<List<T>>.
    const dims = arr[2].match(/\[[0-9]*\]/g);
    let s = csType({ ...inner, internalType: (param.internalType ?? '').replace(/(\[[0-9]*\])+$/, '') }, structs);
    for (let i = 0; i < dims.length; i++) s = `List<${s}>`;
    return s;
  }
  if (t === 'tuple') {
    const name = structName(param);
    registerStruct(name, param.components, structs);
    return name;
  }
  if (t === 'address' || t === 'string') return 'string';
  if (t === 'bool') return 'bool';
  if (t === 'bytes' || /^bytes[0-9]+$/.test(t)) return 'byte[]';
  if (/^u?int[0-9]*$/.test(t)) return 'BigInteger';
  throw new Error(`unsupported ABI type ${t}`);
}

function registerStruct(name, components, structs) {
  const key = JSON.stringify(components.map((c) => [c.name, canonicalType(c)]));
  const existing = structs.get(name);
  if (existing && existing.key !== key) throw new Error(`two different structs named ${name}`);
  if (!existing) structs.set(name, { key, components });
  // Register nested structs too.
  for (const c of components) csType(c, structs);
}

/** Default value so non-nullable reference properties compile under #nullable enable. */
function initializer(cs) {
  if (cs === 'string') return ' = string.Empty;';
  if (cs === 'byte[]') return ' = [];';
  if (cs === 'BigInteger' || cs === 'bool') return '';
  if (cs.startsWith('List<')) return ' = [];';
  return ' = new();';
}

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function propertyNames(params, fallback) {
  const seen = new Map();
  return params.map((p, i) => {
    let n = p.name ? pascal(p.name) : `${fallback}${i + 1}`;
    if (!n) n = `${fallback}${i + 1}`;
    const count = seen.get(n) ?? 0;
    seen.set(n, count + 1);
    return count === 0 ? n : `${n}${count + 1}`;
  });
}

function byName(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Class-name stems for an ABI kind; overloads get their signature order as a suffix. */
function stems(items) {
  const groups = new Map();
  for (const item of items) {
    const g = groups.get(item.name) ?? [];
    g.push(item);
    groups.set(item.name, g);
  }
  const out = [];
  for (const [name, g] of [...groups.entries()].sort((x, y) => byName(x[0], y[0]))) {
    g.sort((x, y) => byName(signature(x), signature(y)));
    g.forEach((item, i) => out.push({ item, stem: pascal(name) + (g.length > 1 && i > 0 ? String(i + 1) : '') }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

function generate({ name, contract, namespace, access, errors: errorFilter, title }) {
  const abi = JSON.parse(readFileSync(join(artifactsDir, `${contract}.abi.json`), 'utf8'));
  let bin = readFileSync(join(artifactsDir, `${contract}.bin`), 'utf8').trim();
  if (bin.startsWith('0x')) bin = bin.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(bin) || bin.length === 0 || bin.length % 2 !== 0) {
    throw new Error(`${contract}.bin is not hex bytecode`);
  }
  if (/__\$[0-9a-fA-F]{34}\$__/.test(bin)) throw new Error(`${contract}.bin has unlinked libraries`);

  const structs = new Map();
  const lines = [];
  const w = (s = '') => lines.push(s);
  const ns = `${namespace}.${name}`;
  const errorsOnly = errorFilter !== undefined;

  const ctor = abi.find((x) => x.type === 'constructor');
  const functions = errorsOnly ? [] : stems(abi.filter((x) => x.type === 'function'));
  const events = errorsOnly ? [] : stems(abi.filter((x) => x.type === 'event'));
  const errors = stems(abi.filter((x) => x.type === 'error' && (!errorsOnly || errorFilter.test(x.name))));
  if (errorsOnly && errors.length === 0) throw new Error(`${contract}.abi.json has no error matching ${errorFilter}`);

  const paramLines = (params, indexedAllowed) => {
    const names = propertyNames(params, 'Param');
    return params.map((p, i) => {
      const cs = csType(p, structs);
      const indexed = indexedAllowed ? `, ${p.indexed ? 'true' : 'false'}` : '';
      return `    [Parameter("${p.type}", "${p.name ?? ''}", ${i + 1}${indexed})]\n` +
        `    public ${cs} ${names[i]} { get; set; }${initializer(cs)}`;
    });
  };

  const body = [];
  const b = (s = '') => body.push(s);

  // Deployment.
  if (!errorsOnly) {
    b(`/// <summary>Deploys ${name} (bytecode from contracts/artifacts/${contract}.bin).</summary>`);
    b(`${access} sealed partial class ${name}Deployment : ContractDeploymentMessage`);
    b('{');
    b('    /// <summary>The creation bytecode.</summary>');
    b(`    ${access} const string Bytecode = "0x${bin.toLowerCase()}";`);
    b('');
    b(`    public ${name}Deployment()`);
    b('        : base(Bytecode)');
    b('    {');
    b('    }');
    for (const l of paramLines(ctor?.inputs ?? [], false)) {
      b('');
      b(l);
    }
    b('}');
  }

  // Functions and their outputs.
  for (const { item, stem } of functions) {
    const outs = item.outputs ?? [];
    b('');
    b(`/// <summary><c>${escapeXml(signature(item))}</c> (${item.stateMutability}).</summary>`);
    let attr;
    if (outs.length === 0) attr = `[Function("${item.name}")]`;
    else if (outs.length === 1 && !outs[0].type.startsWith('tuple')) attr = `[Function("${item.name}", "${outs[0].type}")]`;
    else attr = `[Function("${item.name}", typeof(${stem}OutputDTO))]`;
    b(attr);
    b(`${access} sealed partial class ${stem}Function : FunctionMessage`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, false).join('\n\n'));
    b('}');
    if (outs.length > 0) {
      b('');
      b(`/// <summary>The outputs of <c>${escapeXml(signature(item))}</c>.</summary>`);
      b('[FunctionOutput]');
      b(`${access} sealed partial class ${stem}OutputDTO : IFunctionOutputDTO`);
      b('{');
      const names = propertyNames(outs, 'ReturnValue');
      b(outs.map((p, i) => {
        const cs = csType(p, structs);
        return `    [Parameter("${p.type}", "${p.name ?? ''}", ${i + 1})]\n` +
          `    public ${cs} ${names[i]} { get; set; }${initializer(cs)}`;
      }).join('\n\n'));
      b('}');
    }
  }

  // Events.
  for (const { item, stem } of events) {
    b('');
    b(`/// <summary>Event <c>${escapeXml(signature(item))}</c>.</summary>`);
    b(`[Event("${item.name}")]`);
    b(`${access} sealed partial class ${stem}EventDTO : IEventDTO`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, true).join('\n\n'));
    b('}');
  }

  // Custom errors.
  for (const { item, stem } of errors) {
    if (body.length > 0) b('');
    b(`/// <summary>Custom error <c>${escapeXml(signature(item))}</c>.</summary>`);
    b(`[Error("${item.name}")]`);
    b(`${access} sealed partial class ${stem}Error`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, false).join('\n\n'));
    b('}');
  }

  // Structs (collected while generating the rest), sorted by name.
  const structBody = [];
  for (const [sname, { components }] of [...structs.entries()].sort((x, y) => byName(x[0], y[0]))) {
    structBody.push('');
    structBody.push(`/// <summary>Solidity struct <c>${sname}</c>: <c>${escapeXml(components.map((c) => `${canonicalType(c)} ${c.name}`).join(', '))}</c>.</summary>`);
    structBody.push(`${access} sealed partial class ${sname}`);
    structBody.push('{');
    structBody.push(paramLines(components, false).join('\n\n'));
    structBody.push('}');
  }

  // Selector and topic table.
  const table = [];
  table.push('');
  table.push(errorsOnly
    ? `/// <summary>${escapeXml(title)}: the errors matching ${errorFilter} in contracts/artifacts/${contract}.abi.json.</summary>`
    : `/// <summary>Selectors, event topics and custom errors of ${name}, from its ABI.</summary>`);
  table.push(`${access} static class ${name}Abi`);
  table.push('{');
  table.push('    /// <summary>Custom errors by 4-byte selector (lower-case hex with 0x): name and canonical signature.</summary>');
  table.push(`    ${access} static readonly IReadOnlyDictionary<string, (string Name, string Signature, Type ErrorType)> Errors =`);
  table.push('        new Dictionary<string, (string Name, string Signature, Type ErrorType)>(StringComparer.Ordinal)');
  table.push('        {');
  for (const { item, stem } of errors) {
    const sig = signature(item);
    table.push(`            ["${keccakId(sig).slice(0, 10)}"] = ("${item.name}", "${sig}", typeof(${stem}Error)),`);
  }
  table.push('        };');
  for (const { item, stem } of functions) {
    table.push('');
    table.push(`    /// <summary>Selector of <c>${escapeXml(signature(item))}</c>.</summary>`);
    table.push(`    ${access} const string ${stem}Selector = "${keccakId(signature(item)).slice(0, 10)}";`);
  }
  for (const { item, stem } of events) {
    table.push('');
    table.push(`    /// <summary>Topic 0 of <c>${escapeXml(signature(item))}</c>.</summary>`);
    table.push(`    ${access} const string ${stem}Topic = "${keccakId(signature(item))}";`);
  }
  table.push('}');

  w('// <auto-generated>');
  if (errorsOnly) {
    w(`//   Generated by contracts/script/gen-bindings.mjs from the errors matching ${errorFilter} in contracts/artifacts/${contract}.abi.json.`);
  } else {
    w(`//   Generated by contracts/script/gen-bindings.mjs from contracts/artifacts/${contract}.abi.json and ${contract}.bin.`);
  }
  w('//   Do not edit: rebuild the artifacts (contracts/script/build.sh), then run contracts/script/gen-bindings.sh.');
  w('// </auto-generated>');
  w('#nullable enable');
  w('using System.Numerics;');
  w('using Nethereum.ABI.FunctionEncoding.Attributes;');
  if (!errorsOnly) w('using Nethereum.Contracts;');
  w('');
  w(`namespace ${ns};`);
  w('');
  lines.push(...body, ...structBody, ...table);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

let drift = 0;
for (const target of TARGETS) {
  for (const ext of ['abi.json', 'bin']) {
    if (!existsSync(join(artifactsDir, `${target.contract}.${ext}`))) {
      console.error(`missing artifact contracts/artifacts/${target.contract}.${ext} (run contracts/script/build.sh)`);
      process.exit(2);
    }
  }
  const text = generate(target);
  const rel = `${target.dir}/${target.name}.gen.cs`;
  const file = join(repoRoot, rel);
  if (check) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (current !== text) {
      drift++;
      console.error(current === null ? `missing: ${rel}` : `drift: ${rel} differs from a fresh generation`);
    } else {
      console.log(`ok: ${rel}`);
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${rel}`);
  }
}

// A .gen.cs in an output folder that no target generates (a binding moved or dropped) is stale.
const expected = new Set(TARGETS.map((t) => `${t.dir}/${t.name}.gen.cs`));
for (const dir of [...new Set(TARGETS.map((t) => t.dir))].sort(byName)) {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) continue;
  for (const f of readdirSync(abs).filter((x) => x.endsWith('.gen.cs')).sort(byName)) {
    const rel = `${dir}/${f}`;
    if (expected.has(rel)) continue;
    if (check) {
      drift++;
      console.error(`stale: ${rel} is not generated by any target`);
    } else {
      rmSync(join(abs, f));
      console.log(`removed ${rel}`);
    }
  }
}
if (drift > 0) {
  console.error(`${drift} binding file(s) out of date: run contracts/script/gen-bindings.sh and commit the result`);
  process.exit(1);
}
