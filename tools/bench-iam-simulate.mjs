// The comparison for tools/bench-jsonl.sh: @cloud-copilot/iam-simulate's parse-and-evaluate
// of each Vaultward case, timed per case. The package is the differential test's oracle,
// installed by `npm install` in tools/differential (AGPL-3.0: only run as an outside
// process, never vendored or linked); the case is converted as the oracle converts it.
// Usage: node tools/bench-iam-simulate.mjs CASES.jsonl [MAX_CASES]
// Prints one JSON line: cases, total seconds, µs per case (mean, median, p10, p90).
import { readFileSync } from 'node:fs'
import { RESULT, runSimulation, toSimulation } from './differential/simulation.mjs'

const [file, max] = process.argv.slice(2)
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
const cases = max ? lines.slice(0, Number(max)) : lines
const times = []
const decisions = {}
const start = process.hrtime.bigint()
for (const line of cases) {
  const t0 = process.hrtime.bigint()
  // What a case costs: reading its text, building the simulation, evaluating it.
  const res = await runSimulation(toSimulation(JSON.parse(line)), {})
  times.push(Number(process.hrtime.bigint() - t0) / 1000)
  const d = res.resultType === 'error' ? 'error' : RESULT[res.overallResult] || res.overallResult
  decisions[d] = (decisions[d] || 0) + 1
}
const total = Number(process.hrtime.bigint() - start) / 1e9
const sorted = [...times].sort((a, b) => a - b)
const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
const round = (x) => Math.round(x * 10) / 10
console.log(
  JSON.stringify({
    engine: 'iam-simulate',
    cases: cases.length,
    seconds: Math.round(total * 1000) / 1000,
    us_per_case: round((total * 1e6) / cases.length),
    median_us: round(at(0.5)),
    p10_us: round(at(0.1)),
    p90_us: round(at(0.9)),
    decisions
  })
)
