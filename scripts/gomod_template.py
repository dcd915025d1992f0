#!/usr/bin/env python3
"""Generate go.mod.jinja and go.sum.jinja that match `go mod tidy` for every answer combination.

Usage: gomod_template.py SPEC.json OUTDIR
SPEC = {
  "module": "example.com/acme/x",          # placeholder module path used while tidying
  "go": "1.25.0",
  "variables": {"database": ["sqlite", "postgres"], "metrics": ["prometheus", "expvar"]},
  "imports": [                              # packages imported when the condition holds (python expr over variables)
     {"when": "True", "packages": ["golang.org/x/time/rate"]},
     {"when": "database == 'sqlite'", "packages": ["modernc.org/sqlite"]}
  ],
  "versions": {"golang.org/x/time": "v0.15.0", ...}   # exact pins for direct modules
}
For each combination it writes a throwaway module that imports those packages, pins the versions
with `go get`, runs `go mod tidy`, and merges the resulting go.mod/go.sum line by line; every line
is wrapped in the simplest {% if %} that selects exactly the combinations containing it.
In go.mod.jinja the module line becomes `module {{ module }}` and the go line `go {{ go_version }}.0`.
"""
import itertools, json, os, subprocess, sys, tempfile

def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, 'GOFLAGS': '', 'GOTOOLCHAIN': 'local'})
    if r.returncode:
        sys.exit(f'{cmd} failed in {cwd}:\n{r.stderr}')
    return r.stdout

def tidy(spec, combo):
    d = tempfile.mkdtemp(prefix='gomodtpl-')
    pkgs = []
    for imp in spec['imports']:
        if eval(imp['when'], {}, dict(combo)):
            pkgs += imp['packages']
    open(f'{d}/go.mod', 'w').write(f"module {spec['module']}\n\ngo {spec['go']}\n")
    body = 'package main\n\nimport (\n' + ''.join(f'\t_ "{p}"\n' for p in sorted(set(pkgs))) + ')\n\nfunc main() {}\n'
    open(f'{d}/main.go', 'w').write(body)
    mods = sorted({m for m in spec['versions'] if any(p == m or p.startswith(m + '/') for p in pkgs)})
    if mods:
        run(['go', 'get'] + [f"{m}@{spec['versions'][m]}" for m in mods], d)
    run(['go', 'mod', 'tidy'], d)
    gomod = open(f'{d}/go.mod').read()
    gosum = open(f'{d}/go.sum').read() if os.path.exists(f'{d}/go.sum') else ''
    return gomod, gosum

def merge(texts):
    """Union of several line sequences preserving order (LCS-based), each line tagged with the indices containing it."""
    merged = []  # list of (line, set)
    for idx, text in enumerate(texts):
        lines = text.splitlines()
        if not merged:
            merged = [(l, {idx}) for l in lines]
            continue
        a = [l for l, _ in merged]
        # LCS table
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

def condition(S, combos, variables):
    allidx = set(range(len(combos)))
    if S == allidx:
        return None
    lits = [(k, v) for k, vals in variables.items() for v in vals]
    def sel(pred):
        return {i for i, c in enumerate(combos) if pred(c)}
    cands = []
    for k, v in lits:
        cands.append((f"{k} == '{v}'", sel(lambda c, k=k, v=v: c[k] == v)))
    for (k1, v1), (k2, v2) in itertools.combinations(lits, 2):
        if k1 == k2: continue
        cands.append((f"{k1} == '{v1}' and {k2} == '{v2}'", sel(lambda c, a=(k1, v1), b=(k2, v2): c[a[0]] == a[1] and c[b[0]] == b[1])))
        cands.append((f"{k1} == '{v1}' or {k2} == '{v2}'", sel(lambda c, a=(k1, v1), b=(k2, v2): c[a[0]] == a[1] or c[b[0]] == b[1])))
    for expr, s in cands:
        if s == S:
            return expr
    terms = []
    for i in sorted(S):
        terms.append('(' + ' and '.join(f"{k} == '{combos[i][k]}'" for k in variables) + ')')
    return ' or '.join(terms)

def render(merged, combos, variables, fix=lambda l: l):
    out, cur = [], None
    for line, S in merged:
        cond = condition(S, combos, variables)
        if cond != cur:
            if cur is not None:
                out.append('{% endif %}')
            if cond is not None:
                out.append('{% if ' + cond + ' %}')
            cur = cond
        out.append(fix(line))
    if cur is not None:
        out.append('{% endif %}')
    return '\n'.join(out) + '\n'

def main():
    spec = json.load(open(sys.argv[1])); outdir = sys.argv[2]
    variables = spec['variables']
    combos = [dict(zip(variables, vals)) for vals in itertools.product(*variables.values())]
    results = [tidy(spec, c) for c in combos]
    for c, (gm, _) in zip(combos, results):
        print(c, len(gm.splitlines()), 'go.mod lines', file=sys.stderr)
    def fix(l):
        if l.startswith('module '): return 'module {{ module }}'
        if l.startswith('go ') and l[3:] == spec['go']: return 'go {{ go_version }}.0'
        return l
    open(f'{outdir}/go.mod.jinja', 'w').write(render(merge([r[0] for r in results]), combos, variables, fix))
    open(f'{outdir}/go.sum.jinja', 'w').write(render(merge([r[1] for r in results]), combos, variables))
    # self-check: rendering each combo must give back tidy's output exactly
    import jinja2
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    for c, (gm, gs) in zip(combos, results):
        ctx = dict(c, module=spec['module'], go_version=spec['go'].rsplit('.', 1)[0])
        got_mod = env.from_string(open(f'{outdir}/go.mod.jinja').read()).render(**ctx)
        got_sum = env.from_string(open(f'{outdir}/go.sum.jinja').read()).render(**ctx)
        if got_mod != gm or got_sum != gs:
            sys.exit(f'self-check failed for {c}')
    print('ok: go.mod.jinja and go.sum.jinja match tidy for', len(combos), 'combinations', file=sys.stderr)

main()
