# The alerts page (supervisors and admins).

nav-alerts = Alerts
alerts-title = Alerts
alerts-show-open = Open
alerts-show-all = All
alerts-live = live
alerts-kind = Alert
alerts-subject = Customer / queue
alerts-queue = Queue
alerts-detail = Details
alerts-state = State
alerts-age = Age
alerts-assignee = Assigned to
alerts-acknowledge = Acknowledge
alerts-resolve = Resolve
alerts-none = No alerts.
alerts-just-now = just now
alerts-age-minutes = { $n } min
alerts-age-hours = { $n } h
alerts-age-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}

alert-kind-abandoned_callback = Abandoned call: call back
alert-kind-lead_not_contacted = Lead not contacted
alert-kind-lead_few_attempts = Lead: too few call attempts
alert-kind-service_level = Service level under target

alert-state-open = Open
alert-state-acknowledged = Acknowledged
alert-state-resolved = Resolved

alerts-detail-callback = abandoned { $abandons ->
    [one] once
   *[other] { $abandons } times
}, reassigned { $reassigned } times
alerts-detail-lead-not-contacted = no call within { $hours } h
alerts-detail-lead-few-attempts = { $attempts } of { $min } calls in the first { $days } days
alerts-detail-service-level = { $level } % (target { $target } %): { $within } of { $of } answered within { $seconds } s today

# The agent console's callbacks.
callbacks-title = My callbacks
callbacks-none = No callbacks to make.
callbacks-done = Done
callbacks-queue = queue
