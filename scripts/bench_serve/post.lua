-- wrk script: POST the file named by BODY_FILE to /invocations as text/csv.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = "/invocations"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/csv"
