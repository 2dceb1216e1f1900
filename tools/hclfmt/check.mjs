// Checks that each Terraform file given is already formatted as `terraform fmt` would
// format it: hclwrite's Format (HashiCorp's, via @cdktf/hcl-tools, MPL-2.0, installed at
// run time) must leave it unchanged. Exits 1 and prints the first difference otherwise.
import { readFileSync } from 'node:fs'
import { format } from '@cdktf/hcl-tools'

let failed = false
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8')
  const formatted = await format(text)
  if (formatted !== text) {
    failed = true
    const a = text.split('\n')
    const b = formatted.split('\n')
    const i = a.findIndex((line, k) => line !== b[k])
    console.error(`${file}:${i + 1}: not formatted as terraform fmt would:\n  have: ${JSON.stringify(a[i])}\n  want: ${JSON.stringify(b[i])}`)
  } else {
    console.log(`${file}: formatted`)
  }
}
process.exit(failed ? 1 : 0)
