#!/usr/bin/env python3
"""Generate go.mod.jinja and go.sum.jinja that match `go mod tidy` for every answer combination.

Usage:
  scripts/gomod_template.py [--upgrade] [SPEC.json ...]

With no SPEC, every spec in scripts/gomod-specs/ is processed: each blueprint's go.mod/go.sum and the
go-service layer's tools/go.mod. `--upgrade` first moves the pinned modules to
their newest release whose own go.mod supports the spec's minimum Go version ("go"): every direct module
and the golang.org/x/* ones (for a tools spec only the tools' own modules: their go.mod chose their
dependencies; other indirect modules stay where the direct ones require them), writes the new
pins back into the spec, then regenerates. One command refreshes everything:

  scripts/gomod_template.py --upgrade

SPEC = {
  "out": "blueprints/rest-api/template",   # where go.mod.jinja/go.sum.jinja go (relative to the repo)
  "module": "example.com/acme/x",          # placeholder module path used while tidying
  "module_line": "{{ module }}",           # optional: what the module line becomes (default shown)
  "go": "1.26.0",                          # the minimum Go version: pins must support it
  "syntax": "default",                     # or "square": [[ var ]] and [% if %] (the file rule's syntax)
  "variables": {"go_version": ["1.26", "1.27"], "database": ["sqlite", "postgres"], "tracing": [false, true]},
  "imports": [                             # packages imported when the condition holds (python expr)
     {"when": "True", "packages": ["golang.org/x/time/rate"]},
     {"when": "database == 'sqlite'", "packages": ["modernc.org/sqlite"]}
  ],
  "tools": ["golang.org/x/vuln/cmd/govulncheck"],   # optional: `tool` directives instead of imports
  "versions": {"golang.org/x/time": "v0.16.0", ...}, # exact pins (direct, and indirect ones upgraded)
  "upgrade_indirect": ["golang.org/x/"]    # optional: indirect modules --upgrade moves too (default shown)
}
For each combination it writes a throwaway module that imports those packages (go line
`<go_version>.0`, tidied with the pinned toolchain of that minor from scripts/pins.env), pins the
versions with `go get`, runs `go mod tidy`, and merges the resulting go.mod/go.sum line by line; each
line is wrapped in the simplest {% if %} that selects exactly the combinations containing it. Boolean
variables render as `tracing` / `not tracing`. The module line becomes `module {{ module }}` and the
go line `go {{ go_version }}.0`. A self-check renders every combination and compares it with tidy's
output byte for byte.
"""
import itertools, json, os, re, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins():
    """KEY=value lines of scripts/pins.env."""
    out = {}
    for line in (ROOT / 'scripts/pins.env').read_text().splitlines():
        line = line.strip()
        if line and not line.startswith('#') and '=' in line:
            k, v = line.split('=', 1)
            out[k.strip()] = v.strip()
    return out


PINS = pins()


def toolchain(go_version):
    """The pinned newest patch release of a Go minor, e.g. 1.26 -> go1.26.11."""
    key = 'GO_TOOLCHAIN_' + go_version.replace('.', '_')
    if key not in PINS:
        sys.exit(f'scripts/pins.env has no {key}')
    return PINS[key]


def run(cmd, cwd, go_version, check=True):
    env = {**os.environ, 'GOFLAGS': '', 'GOTOOLCHAIN': toolchain(go_version)}
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if r.returncode and check:
        sys.exit(f'{cmd} failed in {cwd}:\n{r.stderr}')
    return r.stdout if r.returncode == 0 else None


def go_version_of(combo, spec):
    return str(combo.get('go_version', spec['go'].rsplit('.', 1)[0]))


def requirements(gomod):
    """(module, version) of every require line."""
    reqs, block = [], False
    for line in gomod.splitlines():
        s = line.split('//')[0].strip()
        if s == 'require (':
            block = True
        elif block and s == ')':
            block = False
        elif block and s:
            reqs.append(tuple(s.split()[:2]))
        elif s.startswith('require ') and not s.endswith('('):
            reqs.append(tuple(s.split()[1:3]))
    return reqs


def tidy(spec, combo):
    d = tempfile.mkdtemp(prefix='gomodtpl-')
    gv = go_version_of(combo, spec)
    env = dict(combo)
    pkgs = []
    for imp in spec.get('imports', []):
        if eval(imp['when'], {}, env):
            pkgs += imp['packages']
    tools = spec.get('tools', [])
    Path(d, 'go.mod').write_text(f"module {spec['module']}\n\ngo {gv}.0\n")
    if pkgs:
        body = 'package main\n\nimport (\n' + ''.join(f'\t_ "{p}"\n' for p in sorted(set(pkgs))) + ')\n\nfunc main() {}\n'
        Path(d, 'main.go').write_text(body)
    versions = spec['versions']
    wanted = pkgs + tools
    direct = sorted({m for m in versions if any(p == m or p.startswith(m + '/') for p in wanted)})
    def pinned(p):
        mod = max((m for m in direct if p == m or p.startswith(m + '/')), key=len)
        return f'{p}@{versions[mod]}'
    if tools:
        run(['go', 'get', '-tool'] + [pinned(t) for t in tools], d, gv)
    if direct:
        run(['go', 'get'] + [f'{m}@{versions[m]}' for m in direct], d, gv)
    run(['go', 'mod', 'tidy'], d, gv)
    # Indirect modules at their pins too (the `go get -u` view), until tidy's result is stable.
    for _ in range(4):
        gomod = Path(d, 'go.mod').read_text()
        behind = [f'{m}@{versions[m]}' for m, v in requirements(gomod) if m in versions and v != versions[m]]
        if not behind:
            break
        run(['go', 'get'] + behind, d, gv)
        run(['go', 'mod', 'tidy'], d, gv)
    gomod = Path(d, 'go.mod').read_text()
    gosum = Path(d, 'go.sum').read_text() if Path(d, 'go.sum').exists() else ''
    subprocess.run(['rm', '-rf', d])
    return gomod, gosum


def go_tuple(v):
    return tuple(int(x) for x in re.findall(r'\d+', v)[:3]) + (0,) * (3 - len(re.findall(r'\d+', v)[:3]))


def newest_supported(module, min_go, go_version):
    """Newest tagged release of module whose go.mod `go` line is at most min_go, or None."""
    out = run(['go', 'list', '-m', '-versions', module], tempfile.gettempdir(), go_version).split()
    releases = [v for v in out[1:] if '-' not in v and '+' not in v]
    for v in reversed(releases):
        out = run(['go', 'mod', 'download', '-json', f'{module}@{v}'], tempfile.gettempdir(), go_version, check=False)
        if out is None:
            continue  # retracted or unavailable
        info = json.loads(out)
        text = Path(info['GoMod']).read_text()
        m = re.search(r'^go\s+(\S+)', text, re.M)
        if m is None or go_tuple(m.group(1)) <= go_tuple(min_go):
            return v
    return None


def direct_requirements(spec, combo):
    """(module, version) of the modules the combination imports directly."""
    env = dict(combo)
    pkgs = [p for imp in spec.get('imports', []) if eval(imp['when'], {}, env) for p in imp['packages']]
    return [(m, v) for m, v in spec['versions'].items() if any(p == m or p.startswith(m + '/') for p in pkgs)]


def upgrade(spec, combos):
    gv = go_version_of(combos[0], spec)
    seen = {}
    for c in combos:
        gomod, _ = tidy(spec, c)
        for m, v in requirements(gomod):
            seen.setdefault(m, v)
    # Direct modules move to their newest release; of the indirect ones only golang.org/x/* (they
    # carry most security fixes) and whatever the spec lists in "upgrade_indirect". The rest stay
    # where the direct modules' own go.mod files put them (MVS), so an upgrade never pulls in a
    # module none of them asked for. Tools pin only the tools.
    prefixes = spec.get('upgrade_indirect', [] if spec.get('tools') else ['golang.org/x/'])
    direct = {m for c in combos for m, _ in direct_requirements(spec, c)} | set(spec['versions'])
    modules = sorted(m for m in set(seen) | direct
                     if m in direct or any(m.startswith(p) for p in prefixes))
    if spec.get('tools'):
        modules = sorted({m for m in spec['versions'] if any(t == m or t.startswith(m + '/') for t in spec['tools'])})
    new = {}
    for m in modules:
        best = newest_supported(m, spec['go'], gv)
        if best is None:
            if m in spec['versions']:
                new[m] = spec['versions'][m]
            continue  # untagged (pseudo-versions only): MVS picks it
        new[m] = best
        old = spec['versions'].get(m, seen.get(m))
        if old != best:
            print(f'  {m}: {old} -> {best}', file=sys.stderr)
    spec['versions'] = new


def merge(texts):
    """Union of several line sequences preserving order (LCS-based), each line tagged with the indices containing it."""
    merged = []  # list of (line, set)
    for idx, text in enumerate(texts):
        lines = text.splitlines()
        if not merged:
            merged = [(l, {idx}) for l in lines]
            continue
        a = [l for l, _ in merged]
        n, m = len(a), len(lines)
        L = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            for j in range(m - 1, -1, -1):
                L[i][j] = L[i + 1][j + 1] + 1 if a[i] == lines[j] else max(L[i + 1][j], L[i][j + 1])
        out, i, j = [], 0, 0
        while i < n or j < m:
            if i < n and j < m and a[i] == lines[j]:
                out.append((a[i], merged[i][1] | {idx})); i += 1; j += 1
            elif j < m and (i == n or L[i][j + 1] >= L[i + 1][j]) and (i == n or lines[j] < a[i] or L[i][j + 1] > L[i + 1][j]):
                out.append((lines[j], {idx})); j += 1
            elif i < n:
                out.append(merged[i]); i += 1
            else:
                out.append((lines[j], {idx})); j += 1
        merged = out
    return merged


def literal(k, v, negate=False):
    if isinstance(v, bool):
        return k if v != negate else f'not {k}'
    return f"{k} {'!=' if negate else '=='} '{v}'"


def condition(S, combos, variables):
    """The simplest expression over the variables that holds exactly for the combinations in S."""
    if S == set(range(len(combos))):
        return None
    lits = [(k, v) for k, vals in variables.items() for v in vals]
    def sel(pred):
        return {i for i, c in enumerate(combos) if pred(c)}
    cands = []
    for k, v in lits:
        cands.append((literal(k, v), sel(lambda c, k=k, v=v: c[k] == v)))
        if len(variables[k]) > 2:
            cands.append((literal(k, v, True), sel(lambda c, k=k, v=v: c[k] != v)))
    for size in (2, 3):
        for group in itertools.combinations(lits, size):
            if len({k for k, _ in group}) < size:
                continue
            both = sel(lambda c, g=group: all(c[k] == v for k, v in g))
            either = sel(lambda c, g=group: any(c[k] == v for k, v in g))
            text_and = ' and '.join(literal(k, v) for k, v in group)
            text_or = ' or '.join(literal(k, v) for k, v in group)
            cands += [(text_and, both), (text_or, either), (f'not ({text_and})', set(range(len(combos))) - both)]
    for expr, s in cands:
        if s == S:
            return expr
    terms = ['(' + ' and '.join(literal(k, combos[i][k]) for k in variables) + ')' for i in sorted(S)]
    return ' or '.join(terms)


def render(merged, combos, variables, block):
    out, cur = [], None
    for line, S in merged:
        cond = condition(S, combos, variables)
        if cond != cur:
            if cur is not None:
                out.append(block('endif'))
            if cond is not None:
                out.append(block('if ' + cond))
            cur = cond
        out.append(line)
    if cur is not None:
        out.append(block('endif'))
    return '\n'.join(out) + '\n'


def generate(spec_path, do_upgrade):
    spec = json.loads(Path(spec_path).read_text())
    variables = spec['variables']
    combos = [dict(zip(variables, vals)) for vals in itertools.product(*variables.values())]
    print(f'{spec_path}: {len(combos)} combinations', file=sys.stderr)
    if do_upgrade:
        upgrade(spec, combos)
        Path(spec_path).write_text(json.dumps(spec, indent=2) + '\n')
    square = spec.get('syntax', 'default') == 'square'
    var = (lambda s: '[[ ' + s + ' ]]') if square else (lambda s: '{{ ' + s + ' }}')
    block = (lambda s: '[% ' + s + ' %]') if square else (lambda s: '{% ' + s + ' %}')
    module_line = spec.get('module_line', '{{ module }}').replace('{{ module }}', var('module'))
    results = [tidy(spec, c) for c in combos]

    def templated(gomod, combo):
        lines = []
        for l in gomod.splitlines():
            if l.startswith('module '):
                l = 'module ' + module_line
            elif l == f'go {go_version_of(combo, spec)}.0':
                l = 'go ' + var('go_version') + '.0'
            elif l.startswith('toolchain '):
                sys.exit(f'tidy added a toolchain line for {combo}: {l}')
            lines.append(l)
        return '\n'.join(lines) + '\n'

    out = ROOT / spec['out']
    mod_tpl = render(merge([templated(r[0], c) for r, c in zip(results, combos)]), combos, variables, block)
    sum_tpl = render(merge([r[1] for r in results]), combos, variables, block)
    (out / 'go.mod.jinja').write_text(mod_tpl)
    (out / 'go.sum.jinja').write_text(sum_tpl)
    # Self-check: rendering each combination gives back tidy's output exactly.
    import jinja2
    delims = dict(variable_start_string='[[', variable_end_string=']]', block_start_string='[%',
                  block_end_string='%]', comment_start_string='[#', comment_end_string='#]') if square else {}
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, **delims)
    for c, (gm, gs) in zip(combos, results):
        ctx = dict(c, module=spec['module'], go_version=go_version_of(c, spec))
        want_mod = gm.replace(f"module {spec['module']}\n",
                              'module ' + spec.get('module_line', '{{ module }}').replace('{{ module }}', spec['module']) + '\n', 1)
        if env.from_string(mod_tpl).render(**ctx) != want_mod or env.from_string(sum_tpl).render(**ctx) != gs:
            sys.exit(f'self-check failed for {c}')
    print(f'ok: {out.relative_to(ROOT)}/go.mod.jinja and go.sum.jinja match tidy for {len(combos)} combinations',
          file=sys.stderr)


def main():
    args = sys.argv[1:]
    do_upgrade = '--upgrade' in args
    specs = [a for a in args if a != '--upgrade'] or sorted(str(p) for p in (ROOT / 'scripts/gomod-specs').glob('*.json'))
    for s in specs:
        generate(s, do_upgrade)


main()
