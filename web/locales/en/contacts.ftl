# Contacts: search, create and edit, and the contact page.

contacts-title = Contacts
contacts-search-label = Name, organisation or number
contacts-search = Search
contacts-new = New contact
contacts-hint = Search by name, organisation, or a number in any format (0912…, +98…, ۰۹۱۲…).
contacts-none = No contact matches “{ $query }”.
contacts-found = { $count ->
    [one] One contact
   *[other] { $count } contacts
}

contact-name = Name
contact-organisation = Organisation
contact-stage = Stage
contact-email = E-mail
contact-tags = Tags
contact-tags-hint = Separated by commas
contact-owner = Owner
contact-phones = Numbers
contact-phone = Number
contact-phone-label = Label
contact-phone-add = Add number
contact-phone-remove = Remove
contact-phone-invalid = “{ $number }” is not a phone number.
contact-name-missing = A contact needs a name.
contact-email-invalid = “{ $email }” is not an e-mail address.
contact-invalid = Check the form: { $detail }
contact-create = Create contact
contact-save = Save
contact-edit = Edit
contact-new-title = New contact
contact-edit-title = Edit { $name }

contact-call = Call
contact-calling = Calling… your phone rings first.
contact-call-failed = Could not call
contact-calls = Calls
contact-no-calls = No calls yet.
contact-notes = Notes
contact-no-notes = No notes yet.
contact-note-add = Add note
contact-tasks = Tasks
contact-no-tasks = No tasks.
contact-task-add = Add task
task-title = Task
task-due = Due
task-kind = Kind
task-kind-follow_up = Follow-up
task-kind-callback = Callback
task-status-open = Open
task-status-done = Done
task-status-cancelled = Cancelled
task-close = Mark done
task-no-due = No due date
contact-call-one-of = one of { $count } contacts with this number (nobody picked yet)
