#!/usr/bin/env python3
"""Render a configuration template.

Usage: scripts/render.py TEMPLATE VALUES.json [VALUES.json ...]

Every @NAME@ in TEMPLATE is replaced by the value of NAME in the JSON objects
(later files win).  A placeholder without a value is an error, so a template
never ships half rendered."""
import json
import re
import sys

values = {}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        values.update(json.load(f))
with open(sys.argv[1], encoding="utf-8") as f:
    template = f.read()


def value_of(match):
    name = match.group(1)
    if name not in values:
        sys.exit(f"{sys.argv[1]}: no value for @{name}@")
    return str(values[name])


sys.stdout.write(re.sub(r"@([A-Z][A-Z0-9_]*)@", value_of, template))
