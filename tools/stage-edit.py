#!/usr/bin/env python3
"""stage-edit.py FILE OLD NEW: stage HEAD's FILE with OLD replaced by NEW (exactly once), leaving the work tree alone."""
import subprocess, sys
f, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
base = subprocess.run(['git', 'show', f':{f}'], capture_output=True, text=True, check=True).stdout
if base.count(old) != 1:
    sys.exit(f'{f}: expected exactly one match in the staged version, found {base.count(old)}')
text = base.replace(old, new)
sha = subprocess.run(['git', 'hash-object', '-w', '--stdin'], input=text, capture_output=True, text=True, check=True).stdout.strip()
mode = subprocess.run(['git', 'ls-files', '-s', f], capture_output=True, text=True, check=True).stdout.split()[0]
subprocess.run(['git', 'update-index', '--cacheinfo', f'{mode},{sha},{f}'], check=True)
print(f'{f}: staged edit')
