# صفحهٔ هشدارها (سرپرستان و مدیران).

nav-alerts = هشدارها
alerts-title = هشدارها
alerts-show-open = باز
alerts-show-all = همه
alerts-live = زنده
alerts-kind = هشدار
alerts-subject = مشتری / صف
alerts-queue = صف
alerts-detail = جزئیات
alerts-state = وضعیت
alerts-age = مدت
alerts-assignee = واگذار به
alerts-acknowledge = دیدم
alerts-resolve = بستن
alerts-none = هشداری نیست.
alerts-just-now = همین حالا
alerts-age-minutes = { $n } دقیقه
alerts-age-hours = { $n } ساعت
alerts-age-days = { $n } روز

alert-kind-abandoned_callback = تماس رهاشده: تماس برگشتی
alert-kind-lead_not_contacted = سرنخ بدون تماس
alert-kind-lead_few_attempts = سرنخ: تلاش تماس کم
alert-kind-service_level = سطح خدمت زیر هدف

alert-state-open = باز
alert-state-acknowledged = دیده‌شده
alert-state-resolved = بسته‌شده

alerts-detail-callback = { $abandons } بار رها شده، { $reassigned } بار واگذاری دوباره
alerts-detail-lead-not-contacted = بدون تماس در { $hours } ساعت
alerts-detail-lead-few-attempts = { $attempts } از { $min } تماس در { $days } روز نخست
alerts-detail-service-level = { $level }٪ (هدف { $target }٪): امروز { $within } از { $of } تماس در { $seconds } ثانیه پاسخ گرفت

# The agent console's callbacks.
callbacks-title = تماس‌های برگشتی من
callbacks-none = تماس برگشتی‌ای نمانده.
callbacks-done = انجام شد
callbacks-queue = صف
