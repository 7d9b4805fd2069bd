"""One Markdown table row from wrk's --latency output:
python3 wrk_row.py SERVER WHAT WRK_OUTPUT CUSTOMERS_PER_REQUEST"""

import re
import sys

name, what, path, per = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(path).read()


def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
rate = f"{rps:,.0f} requests/s" if per == 1 else f"{rps * per:,.0f} customers/s"
note = f" ({errors.group(1)} non-2xx)" if errors else ""
print(f"| {name} | {what} | {ms('50'):.3f} | {ms('99'):.3f} | {rate}{note} |")
