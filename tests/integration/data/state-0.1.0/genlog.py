# Writes a deterministic log for the state fixture: SEED N FIRST-SEQ.
import json, random, sys
def lines(seed, n, start):
    rnd = random.Random(seed)
    out = []
    for i in range(start, start + n):
        rec = {"seq": i, "user": "u%03d" % rnd.randrange(90),
               "route": rnd.choice(["/a", "/b", "/c\"q"]),
               "status": rnd.choice([200, 200, 200, 404, 500]),
               "ms": round(rnd.uniform(0.1, 3000), 3),
               "worker": "w%d" % rnd.randrange(3),
               "depth": rnd.randrange(-5, 100),
               "code": "E%d" % rnd.randrange(6)}
        if i % 7 == 3:
            del rec["code"]
        out.append(json.dumps(rec))
    return "".join(l + "\n" for l in out)
seed, n, start = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sys.stdout.write(lines(seed, n, start))
