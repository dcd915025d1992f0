#!/usr/bin/env python3
"""Build an offline Go vulnerability database for govulncheck from the golang.org/x/vulndb module.

Usage: scripts/vulndb.py OUTDIR [VERSION]

VERSION defaults to GOLANG_VULNDB in scripts/pins.env. The module comes from the Go module proxy
(`go mod download`, so it is verified against the checksum database and cached in the module
cache); its data/osv/*.json entries are written out in the layout govulncheck reads with
`-db file://OUTDIR` (https://go.dev/security/vuln/database#api):

  OUTDIR/index/db.json        {"modified": newest entry or the module's commit time}
  OUTDIR/index/modules.json   [{"path", "vulns": [{"id", "modified", "fixed"}]}], sorted
  OUTDIR/index/vulns.json     [{"id", "modified", "aliases"}], sorted
  OUTDIR/ID/<id>.json         the OSV entry, unchanged

"fixed" is the latest SEMVER fix of the module's ranges, or none when the vulnerability is
re-introduced after it (what the database's own generator writes). OUTDIR is replaced whole and
written through a temporary folder, so an interrupted run leaves no half database. The output is
a pure function of the module version: the same version gives byte-identical files.
"""
import json, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZERO = '0001-01-01T00:00:00Z'


def pinned(key):
    for line in (ROOT / 'scripts/pins.env').read_text().splitlines():
        if line.startswith(key + '='):
            return line.split('=', 1)[1].strip()
    sys.exit(f'scripts/pins.env has no {key}')


def semver_key(v):
    """Sort key for a semver without the leading v: release > pre-release, numeric parts numeric."""
    core, _, pre = v.partition('-')
    nums = [int(x) for x in re.findall(r'\d+', core)[:3]]
    nums += [0] * (3 - len(nums))
    if not pre:
        return (nums, 1, [])
    parts = [(0, int(p), '') if p.isdigit() else (1, 0, p) for p in pre.split('.')]
    return (nums, 0, parts)


def latest_fixed(ranges):
    latest = ''
    for r in ranges:
        if r.get('type') != 'SEMVER':
            continue
        for e in r.get('events', []):
            f = e.get('fixed', '')
            if f and (not latest or semver_key(latest) < semver_key(f)):
                latest = f
        for e in r.get('events', []):
            i = e.get('introduced', '')
            if i and i != '0' and (not latest or semver_key(latest) < semver_key(i)):
                latest = ''
                break
    return latest


def dump(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, separators=(',', ':'), sort_keys=False))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = Path(sys.argv[1]).resolve()
    version = sys.argv[2] if len(sys.argv) == 3 else pinned('GOLANG_VULNDB')
    env = {**os.environ, 'GOFLAGS': '', 'GOTOOLCHAIN': 'local'}
    r = subprocess.run(['go', 'mod', 'download', '-json', f'golang.org/x/vulndb@{version}'],
                       capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if r.returncode:
        sys.exit(f'go mod download golang.org/x/vulndb@{version} failed:\n{r.stdout}{r.stderr}')
    info = json.loads(r.stdout)
    src = Path(info['Dir']) / 'data/osv'
    commit_time = json.loads(Path(info['Info']).read_text())['Time']
    modules, vulns, newest = {}, [], commit_time
    staging = Path(tempfile.mkdtemp(prefix='.vulndb-', dir=out.parent))
    try:
        (staging / 'ID').mkdir()
        for f in sorted(src.glob('*.json')):
            entry = json.loads(f.read_text())
            eid, modified = entry['id'], entry.get('modified', ZERO)
            if f.stem != eid:
                sys.exit(f'{f}: file name and id {eid} differ')
            if modified > newest:
                newest = modified
            vulns.append({'id': eid, 'modified': modified, **({'aliases': entry['aliases']} if entry.get('aliases') else {})})
            for a in entry.get('affected', []):
                path = a['package']['name']
                fixed = latest_fixed(a.get('ranges', []))
                modules.setdefault(path, []).append({'id': eid, 'modified': modified, **({'fixed': fixed} if fixed else {})})
            shutil.copyfile(f, staging / 'ID' / f.name)
        if not vulns:
            sys.exit(f'{src} holds no entries')
        dump(staging / 'index/db.json', {'modified': newest})
        dump(staging / 'index/modules.json',
             [{'path': p, 'vulns': sorted(v, key=lambda x: x['id'])} for p, v in sorted(modules.items())])
        dump(staging / 'index/vulns.json', sorted(vulns, key=lambda x: x['id']))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    print(f'vulndb: {len(vulns)} entries for {len(modules)} modules from golang.org/x/vulndb@{version} -> {out}',
          file=sys.stderr)


main()
