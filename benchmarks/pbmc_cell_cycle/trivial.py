# A trivial answer (runs in the sandbox): equal thirds.
import json

json.dump({"G1": 1 / 3, "S": 1 / 3, "G2M": 1 / 3}, open("/work/phases.json", "w"))
