import yaml, json, random
random.seed(7)
cases=[]
base=["#!/bin/sh\necho 10.0.0.1\n","#!/usr/bin/env bash\nset -o nounset -o errexit\nexport PATH=/usr/sbin:/usr/bin:$PATH\necho $(ip addr show eth0 | grep -Eo '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}' | head -1)\n",
 "", "foo", "true", "yes", "1", "1.5", "a: b", "- x", "  lead", "trail ", "tab\there", "caf\u00e9\n", "line1\n  indented\n", "x"*200, ("word "*40).strip(), "a'b", 'a"b\\c', "null", "~", "=", "<<", "2001-01-01", "#comment", "key: value\nother: 1\n", "\n\nx\n\n", "x\r\ny", "\u2028", "emoji \U0001F600", "a  b   c    " + "d"*90 + " e", " ", "\n"]
alpha = "ab :'\"\n\t#-\\ xyz0123é"
for i in range(300):
    base.append(''.join(random.choice(alpha) for _ in range(random.randint(0,120))))
for s in base:
    cases.append({"in": s, "out": yaml.dump(s)})
rex = [{"rexray": {"loglevel": "info", "modules": {"default-docker": {"disabled": True}}, "service": "vfs"}},
 {"rexray": {"loglevel": "info", "service": "ebs"}, "libstorage": {"server": {"tasks": {"logTimeout": "5m"}}, "integration": {"volume": {"operations": {"unmount": {"ignoreusedcount": True}}}}}},
 {"a": [1, 2, {"b": None, "c": [[1,2],[]]}], "d": {}, "e": "yes", "f": 1.5, "g": "multi\nline", "h": "x"*100, "": 1, "k"*130: 2, "n": [{"x": 1}]}]
dicts=[]
for d in rex:
    dicts.append({"in": json.dumps(d), "inner": yaml.dump(d, default_flow_style=False), "out": yaml.dump(yaml.dump(d, default_flow_style=False))})
json.dump({"strings": cases, "dicts": dicts}, open("pyyaml-dump-cases.json","w"), indent=1)
