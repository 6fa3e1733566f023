# The layout, sign-in, errors and words shared by every page.

app-name = Tamas
nav-console = Console
nav-contacts = Contacts
nav-audit = Audit log
nav-tokens = API tokens
signed-in-as = Signed in as { $name }
sign-out = Sign out
language-label = Language
language-en = English
language-fa = فارسی
language-switch = Change

login-title = Sign in
login-username = Username
login-password = Password
login-submit = Sign in
login-failed = Wrong username or password.
login-throttled = Too many failed sign-ins. Try again in { $seconds } seconds.

error-title = Something went wrong
error-not-found = This page does not exist, or you may not see it.
error-forbidden = Your role does not allow this.
error-unavailable = The service is not available right now. Try again in a moment.
error-bad-request = The request is not valid: { $detail }
error-internal = An unexpected error occurred. It has been logged.
error-back = Back to the console

month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

yes = Yes
no = No
stage-lead = Lead
stage-customer = Customer

direction-inbound = Inbound
direction-outbound = Outbound
direction-internal = Internal
disposition-answered = Answered
disposition-abandoned = Abandoned
disposition-no_answer = No answer
disposition-busy = Busy
disposition-failed = Failed

col-time = Time
col-direction = Direction
col-number = Number
col-caller = Caller ID
col-contact = Contact
col-agent = Agent
col-queue = Queue
col-wait = Wait
col-talk = Talk
col-result = Result
col-outcome = Outcome
col-note = Wrap-up note

outcome-info = Information given
outcome-support = Problem solved
outcome-sale = Sale
outcome-complaint = Complaint
outcome-escalated = Escalated
outcome-callback = Callback needed
outcome-wrong_number = Wrong number
outcome-other = Other

audit-title = Audit log
audit-time = Time
audit-actor = Who
audit-action = What
audit-subject = On
audit-detail = Details
number-withheld = withheld number

tokens-title = API tokens
tokens-id = Id
tokens-owner = User
tokens-scope = Scope
tokens-created = Created
tokens-last-used = Last used
tokens-state = State
tokens-revoked = Revoked
tokens-revoke = Revoke
# Why a click-to-call could not be placed (stored beside the disposition).
failure-agent_busy = the agent's own phone was busy
failure-agent_no_answer = the agent's own phone did not answer
failure-pbx_refused = the phone system refused the call
failure-pbx_unreachable = the phone system was not reachable
