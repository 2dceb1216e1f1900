// How a Vaultward case becomes an @cloud-copilot/iam-simulate simulation: shared by the
// differential oracle (oracle.mjs) and the side-by-side benchmark (tools/bench-iam-simulate.mjs).
// The package is installed at run time (AGPL-3.0: used only as an outside oracle, never
// vendored or linked).
import { anonymousPrincipal } from '@cloud-copilot/iam-simulate'

// Re-exported so that scripts outside this folder find the package installed here.
export { runSimulation } from '@cloud-copilot/iam-simulate'

export const RESULT = { Allowed: 'allow', ExplicitlyDenied: 'explicit_deny', ImplicitlyDenied: 'implicit_deny' }

function doc(p) {
  if (p === null || p === undefined) return undefined
  if (typeof p === 'string') return JSON.parse(p)
  if (p.document !== undefined && p.Statement === undefined) return doc(p.document)
  return p
}

function named(p, fallback) {
  return { name: (p && p.name) || fallback, policy: doc(p) }
}

function levels(list, prefix) {
  if (!list) return []
  return list.map((level, i) => ({
    orgIdentifier: `${prefix}-${i}`,
    policies: level.map((p, j) => named(p, `${prefix}-${i}-${j}`))
  }))
}

// The oracle does not derive these keys from the principal yet, so the harness passes
// them as AWS documents them (docs/fidelity.md explains).
function deriveContext(r) {
  const ctx = { ...(r.context || {}) }
  const has = (k) => Object.keys(ctx).some((x) => x.toLowerCase() === k.toLowerCase())
  const m = /^arn:([^:]+):(iam|sts)::(\d{12}):(.*)$/.exec(r.principal)
  if (m) {
    const [, partition, service, account, rest] = m
    let arn = r.principal
    if (service === 'sts' && rest.startsWith('assumed-role/')) {
      arn = `arn:${partition}:iam::${account}:role/${rest.split('/')[1]}`
    }
    if (!has('aws:PrincipalArn')) ctx['aws:PrincipalArn'] = arn
    if (!has('aws:PrincipalAccount')) ctx['aws:PrincipalAccount'] = account
    if (rest.startsWith('user/') && !has('aws:username')) ctx['aws:username'] = rest.split('/').pop()
  }
  if (r.resource_account && !has('aws:ResourceAccount')) ctx['aws:ResourceAccount'] = r.resource_account
  const service = /\.amazonaws\.com$/.test(r.principal)
  if (service && !has('aws:PrincipalServiceName')) ctx['aws:PrincipalServiceName'] = r.principal
  if (!has('aws:PrincipalIsAWSService')) ctx['aws:PrincipalIsAWSService'] = service ? 'true' : 'false'
  return ctx
}

export function toSimulation(c) {
  const r = { ...c.request }
  // An account id names the account's root user; the oracle takes the root ARN.
  if (/^\d{12}$/.test(r.principal)) r.principal = `arn:aws:iam::${r.principal}:root`
  const sim = {
    request: {
      principal: r.principal === '*' ? anonymousPrincipal : r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.resource_account },
      contextVariables: deriveContext(r)
    },
    identityPolicies: r.principal === '*' ? [] : (c.identity_policies || []).map((p, i) => named(p, `identity_policies[${i}]`)),
    serviceControlPolicies: r.principal === '*' ? [] : levels(c.scps, 'ou'),
    resourceControlPolicies: levels(c.rcps, 'rou')
  }
  if (c.resource_policy) sim.resourcePolicy = doc(c.resource_policy)
  if (c.permissions_boundary && r.principal !== '*') sim.permissionBoundaryPolicies = [named(c.permissions_boundary, 'permissions_boundary')]
  if (c.session_policy && r.principal !== '*') sim.sessionPolicy = doc(c.session_policy)
  return sim
}
