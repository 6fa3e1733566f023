# The supervisors' reports page (/reports).

nav-reports = Reports
reports-title = Reports
reports-from = From
reports-to = To
reports-all = All
reports-show = Show
reports-csv = CSV
reports-date-placeholder = 2026-11-22
reports-date-hint = Dates as 2026-11-22, or in the Persian calendar as 1405-09-01, or a named period (today, yesterday, this-week, last-week, this-month, last-month). Days are local days, both included.
reports-bad-date = “{ $value }” is not a date. Type a date as 2026-11-22 or 1405-09-01.
reports-reversed = The “to” date is before the “from” date.
reports-too-long = A report covers at most { $days } days.
reports-period = { $from } to { $to }
reports-no-calls = No calls in this period.
reports-pending = { $count } pending
reports-short = { $count } short

reports-offered = Offered
reports-offered-how = Inbound calls that joined a queue.
reports-answered = Answered
reports-answered-how = Offered calls an agent answered.
reports-abandoned = Abandoned
reports-abandoned-how = Callers who hung up while waiting; those who hung up within { $seconds } s are short abandons, counted apart.
reports-service-level = Service level
reports-service-level-how = Answered within { $seconds } s / (offered − short abandons) = { $within } / { $denominator }.
reports-asa = ASA
reports-asa-how = Average speed of answer: the mean wait of answered calls.
reports-wait = Wait: median / p90 / max
reports-wait-how = From joining the queue to being answered or hanging up, over offered calls.
reports-aht = AHT
reports-aht-how = Average handling time: talk + hold + wrap-up of answered calls.
reports-fcr = First-call resolution
reports-fcr-how = First contacts resolved without the customer calling again within { $days } days and not marked unresolved, over the { $settled } settled first contacts; pending ones (younger than { $days } days, no repeat yet) are counted apart.
reports-requests = Service requests
reports-requests-how = A request opens with a customer's first contact and gathers their answered calls made within { $days } days of the previous one; it is closed when its last call's wrap-up says resolved, or { $days } days after its last call unless that call was marked unresolved. Closed in this period: { $closed }; still open: { $open }; contacts per request: { $mean } on average, { $max } at most.

reports-hours = Calls per hour of day
reports-hours-how = Offered calls by the local hour they arrived, answered and abandoned stacked.
reports-days = Service level per day
reports-days-how = Each day's answered within { $seconds } s / (offered − short abandons); the dashed line is the target, { $target }. Days without calls have no bar.
reports-waits = Wait-time distribution
reports-waits-how = Offered calls by how long they waited, in seconds, answered or abandoned.
reports-queues = Queues
reports-queues-how = Each queue's offered calls; service level within { $seconds } s, ASA, AHT and first-call resolution as above.
reports-agents = Agents
reports-agents-how = Handled: queue calls the agent answered. AHT: their talk + hold + wrap-up. FCR: over the agent's settled first contacts, pending beside it. Requests closed: service requests whose last call was the agent's, closed in this period (by a resolved wrap-up or { $days } days without a new call).

reports-axis-hour = Hour of day
reports-axis-day = Day
reports-axis-wait = Wait (seconds)
reports-axis-calls = Calls
reports-target = Target { $target }
reports-bar-hour = { $hour }:00 — { $answered } answered, { $abandoned } abandoned
reports-bar-day = { $day }: { $level } ({ $within } / { $denominator })
reports-bar-day-empty = { $day }: no calls
reports-bar-wait = { $range } s: { $count } calls

reports-col-queue = Queue
reports-col-agent = Agent
reports-col-handled = Handled
reports-col-closed = Requests closed
reports-periods = Periods
reports-period-today = Today
reports-period-yesterday = Yesterday
reports-period-this-week = This week
reports-period-last-week = Last week
reports-period-this-month = This month
reports-period-last-month = Last month
