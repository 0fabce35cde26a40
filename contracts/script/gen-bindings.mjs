#!/usr/bin/env node
// Generates the internal Nethereum bindings of the committed contract artifacts:
//   contracts/artifacts/<Name>.abi.json + <Name>.bin  ->  src/StateChannels.Ethereum/Bindings/<Name>.gen.cs
// for every contract listed in CONTRACTS. The output is a pure function of the artifacts (no
// timestamps, no paths of this machine, members sorted), so the same artifacts always give the
// same bytes.
//
//   node script/gen-bindings.mjs           rewrite the .gen.cs files
//   node script/gen-bindings.mjs --check   exit 1 (and name the files) when the committed .gen.cs
//                                          differ from a fresh generation; writes nothing
//
// What is generated, per contract, in namespace StateChannels.Ethereum.Bindings.<Name>:
//   <Name>Deployment         ContractDeploymentMessage carrying the bytecode (+ constructor args)
//   <Fn>Function             FunctionMessage with [Function]/[Parameter] per ABI function
//   <Fn>OutputDTO            IFunctionOutputDTO for every function with outputs
//   <Ev>EventDTO             IEventDTO with indexed [Parameter]s per ABI event
//   <Er>Error                [Error] class per custom error (decodable with Nethereum)
//   <Struct>                 one class per tuple type (named after its Solidity struct)
//   <Name>Abi                selectors, topics and the custom-error table (selector -> name)
// All types are internal: the SDK's public surface never exposes Nethereum types.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { id as keccakId } from 'ethers';

const CONTRACTS = ['Adjudicator', 'TestToken', 'PermitToken', 'RevertingPermitToken'];

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = resolve(here, '..');
const repoRoot = resolve(contractsDir, '..');
const artifactsDir = join(contractsDir, 'artifacts');
const outDir = join(repoRoot, 'src', 'StateChannels.Ethereum', 'Bindings');

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

function generate(name) {
  const abi = JSON.parse(readFileSync(join(artifactsDir, `${name}.abi.json`), 'utf8'));
  let bin = readFileSync(join(artifactsDir, `${name}.bin`), 'utf8').trim();
  if (bin.startsWith('0x')) bin = bin.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(bin) || bin.length === 0 || bin.length % 2 !== 0) {
    throw new Error(`${name}.bin is not hex bytecode`);
  }
  if (/__\$[0-9a-fA-F]{34}\$__/.test(bin)) throw new Error(`${name}.bin has unlinked libraries`);

  const structs = new Map();
  const lines = [];
  const w = (s = '') => lines.push(s);
  const ns = `StateChannels.Ethereum.Bindings.${name}`;

  const ctor = abi.find((x) => x.type === 'constructor');
  const functions = stems(abi.filter((x) => x.type === 'function'));
  const events = stems(abi.filter((x) => x.type === 'event'));
  const errors = stems(abi.filter((x) => x.type === 'error'));

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
  b(`/// <summary>Deploys ${name} (bytecode from contracts/artifacts/${name}.bin).</summary>`);
  b(`internal sealed partial class ${name}Deployment : ContractDeploymentMessage`);
  b('{');
  b('    /// <summary>The creation bytecode.</summary>');
  b(`    internal const string Bytecode = "0x${bin.toLowerCase()}";`);
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
    b(`internal sealed partial class ${stem}Function : FunctionMessage`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, false).join('\n\n'));
    b('}');
    if (outs.length > 0) {
      b('');
      b(`/// <summary>The outputs of <c>${escapeXml(signature(item))}</c>.</summary>`);
      b('[FunctionOutput]');
      b(`internal sealed partial class ${stem}OutputDTO : IFunctionOutputDTO`);
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
    b(`internal sealed partial class ${stem}EventDTO : IEventDTO`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, true).join('\n\n'));
    b('}');
  }

  // Custom errors.
  for (const { item, stem } of errors) {
    b('');
    b(`/// <summary>Custom error <c>${escapeXml(signature(item))}</c>.</summary>`);
    b(`[Error("${item.name}")]`);
    b(`internal sealed partial class ${stem}Error`);
    b('{');
    if (item.inputs.length > 0) b(paramLines(item.inputs, false).join('\n\n'));
    b('}');
  }

  // Structs (collected while generating the rest), sorted by name.
  const structBody = [];
  for (const [sname, { components }] of [...structs.entries()].sort((x, y) => byName(x[0], y[0]))) {
    structBody.push('');
    structBody.push(`/// <summary>Solidity struct <c>${sname}</c>: <c>${escapeXml(components.map((c) => `${canonicalType(c)} ${c.name}`).join(', '))}</c>.</summary>`);
    structBody.push(`internal sealed partial class ${sname}`);
    structBody.push('{');
    structBody.push(paramLines(components, false).join('\n\n'));
    structBody.push('}');
  }

  // Selector and topic table.
  const table = [];
  table.push('');
  table.push(`/// <summary>Selectors, event topics and custom errors of ${name}, from its ABI.</summary>`);
  table.push(`internal static class ${name}Abi`);
  table.push('{');
  table.push('    /// <summary>Custom errors by 4-byte selector (lower-case hex with 0x): name and canonical signature.</summary>');
  table.push('    internal static readonly IReadOnlyDictionary<string, (string Name, string Signature, Type ErrorType)> Errors =');
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
    table.push(`    internal const string ${stem}Selector = "${keccakId(signature(item)).slice(0, 10)}";`);
  }
  for (const { item, stem } of events) {
    table.push('');
    table.push(`    /// <summary>Topic 0 of <c>${escapeXml(signature(item))}</c>.</summary>`);
    table.push(`    internal const string ${stem}Topic = "${keccakId(signature(item))}";`);
  }
  table.push('}');

  w('// <auto-generated>');
  w(`//   Generated by contracts/script/gen-bindings.mjs from contracts/artifacts/${name}.abi.json and ${name}.bin.`);
  w('//   Do not edit: rebuild the artifacts (contracts/script/build.sh), then run contracts/script/gen-bindings.sh.');
  w('// </auto-generated>');
  w('#nullable enable');
  w('using System.Numerics;');
  w('using Nethereum.ABI.FunctionEncoding.Attributes;');
  w('using Nethereum.Contracts;');
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
for (const name of CONTRACTS) {
  for (const ext of ['abi.json', 'bin']) {
    if (!existsSync(join(artifactsDir, `${name}.${ext}`))) {
      console.error(`missing artifact contracts/artifacts/${name}.${ext} (run contracts/script/build.sh)`);
      process.exit(2);
    }
  }
  const text = generate(name);
  const target = join(outDir, `${name}.gen.cs`);
  const rel = `src/StateChannels.Ethereum/Bindings/${name}.gen.cs`;
  if (check) {
    const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
    if (current !== text) {
      drift++;
      console.error(current === null ? `missing: ${rel}` : `drift: ${rel} differs from a fresh generation`);
    } else {
      console.log(`ok: ${rel}`);
    }
  } else {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${rel}`);
  }
}
if (drift > 0) {
  console.error(`${drift} binding file(s) out of date: run contracts/script/gen-bindings.sh and commit the result`);
  process.exit(1);
}
