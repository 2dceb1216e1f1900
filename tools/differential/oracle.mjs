// Runs each Vaultward case (JSON Lines on stdin) through @cloud-copilot/iam-simulate,
// installed at run time by run.sh (AGPL-3.0: used only as an outside oracle, never
// vendored or linked). Prints one {"decision": ...} or {"error": ...} per line.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { RESULT, toSimulation } from './simulation.mjs'

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (!line.trim()) continue
  let out
  try {
    const res = await runSimulation(toSimulation(JSON.parse(line)), {})
    if (res.resultType === 'error') {
      const details = Object.values(res.errors).flatMap((v) => (Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v).flat() : []))
      out = { error: details.map((d) => (typeof d === 'string' ? d : d.message)).join('; ') || res.errors.message || 'simulation error' }
    } else {
      out = { decision: RESULT[res.overallResult] || res.overallResult }
    }
  } catch (e) {
    out = { error: String(e && e.message ? e.message : e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
