"""GraphQL operations used by the account and app tests (UPPER_CASE, as GUIDE.md asks)."""

REGISTER = """
mutation R($input: RegisterAccountInput!) {
  registerAccount(input: $input) { account { id holderType profile { name email } realName { state } }
                                   userErrors { code field message } }
}
"""
UPDATE_PROFILE = """
mutation U($input: UpdateAccountProfileInput!) {
  updateAccountProfile(input: $input) { account { profile { email phone } } userErrors { code field message } }
}
"""
PROFILE_CHANGES = """
query P($id: ID) { account(id: $id) { profileChanges(first: 100) { edges { node { id field effectiveOn reportedAt late } } } } }
"""
SUBMIT_REAL_NAME = """
mutation S($input: SubmitRealNameInput!) {
  submitRealName(input: $input) { account { realName { state } } userErrors { code field message } }
}
"""
REVIEW_REAL_NAME = """
mutation V($input: ReviewRealNameInput!) {
  reviewRealName(input: $input) { account { realName { state reviewedAt } } userErrors { code field message } }
}
"""
REAL_NAME = """
query N($id: ID) { account(id: $id) { realName { state subjectType subjectName subjectNumber rejectionReason }
                                      profile { creditCode } } }
"""
OPEN_DISPUTE = """
mutation O($input: OwnershipDisputeInput!) {
  openOwnershipDispute(input: $input) { account { standing } userErrors { code field message } }
}
"""
RESOLVE_DISPUTE = """
mutation X($input: ResolveOwnershipDisputeInput!) {
  resolveOwnershipDispute(input: $input) { account { standing } userErrors { code field message } }
}
"""
DISPUTES = "query D($id: ID) { account(id: $id) { standing ownershipDisputes { id state winner frozeAccount: frozeAccount } } }"
REPORT = """
mutation C($input: ReportCompromiseInput!) { reportCompromise(input: $input) { reportId state userErrors { code field } } }
"""
VERIFY_REPORTER = "mutation I($id: ID!) { verifyCompromiseReporter(input: {id: $id}) { state userErrors { code } } }"
HANDLED = "mutation H($id: ID!) { markCompromiseHandled(input: {id: $id}) { state userErrors { code } } }"
REPORTS = "query { account { compromiseReports { id state reportedAt identityVerifiedAt handledAt } } }"
TERMINATE = """
mutation T($input: RequestTerminationInput!) { requestTermination(input: $input) { effectiveOn late userErrors { code field } } }
"""
CREATE_APP = """
mutation A($input: CreateAppInput!) {
  createApp(input: $input) { app { id appId name terminals scenarios standing } appSecret userErrors { code field message } }
}
"""
ROTATE = """
mutation Rot($input: RotateAppSecretInput!) { rotateAppSecret(input: $input) { appSecret userErrors { code field } } }
"""
EXTEND = """
mutation E($input: ScopeExtensionInput!) {
  requestScopeExtension(input: $input) { app { terminals scenarios scopeExtensionRequests { id state } } userErrors { code field } }
}
"""
DECIDE_EXTENSION = """
mutation DE($input: DecideScopeExtensionInput!) {
  decideScopeExtension(input: $input) { request { state permissionReference } userErrors { code field } }
}
"""
APPS = "query { account { apps(first: 100) { edges { node { id appId terminals scenarios } } } } }"
BRAND = """
mutation B($input: BrandUseInput!) { requestBrandUse(input: $input) { request { id state } userErrors { code field } } }
"""
DECIDE_BRAND = """
mutation DB($input: DecideBrandUseInput!) { decideBrandUse(input: $input) { request { state } userErrors { code } } }
"""
CREATE_SUB = """
mutation CS($login: String!, $permissions: [String!]!) {
  createSubAccount(input: {login: $login, password: "sub-password-123", permissions: $permissions}) {
    subAccount { id permissions } userErrors { code field }
  }
}
"""
SET_PERMISSIONS = """
mutation SP($id: ID!, $permissions: [String!]!) {
  setSubAccountPermissions(input: {id: $id, permissions: $permissions}) { subAccount { permissions } userErrors { code field } }
}
"""
ACCOUNTS = "query L($search: String, $first: Int) { accounts(search: $search, first: $first) { edges { node { id profile { name } } } pageInfo { hasNextPage } } }"
