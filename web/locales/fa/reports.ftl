# صفحهٔ گزارش‌های سرپرستان (/reports).

nav-reports = گزارش‌ها
reports-title = گزارش‌ها
reports-from = از
reports-to = تا
reports-all = همه
reports-show = نمایش
reports-csv = CSV
reports-date-placeholder = ۱۴۰۵-۰۹-۰۱
reports-date-hint = تاریخ‌ها به صورت ۱۴۰۵-۰۹-۰۱ یا میلادی ۲۰۲۶-۱۱-۲۲. روزها به وقت محلی‌اند و هر دو روز در گزارش می‌آیند.
reports-bad-date = «{ $value }» تاریخ نیست. تاریخ را به صورت ۱۴۰۵-۰۹-۰۱ یا ۲۰۲۶-۱۱-۲۲ بنویسید.
reports-reversed = تاریخ «تا» پیش از تاریخ «از» است.
reports-too-long = هر گزارش حداکثر { $days } روز را در بر می‌گیرد.
reports-period = از { $from } تا { $to }
reports-no-calls = در این بازه تماسی نیست.
reports-pending = { $count } در انتظار
reports-short = { $count } کوتاه

reports-offered = ورودی صف
reports-offered-how = تماس‌های ورودی که وارد صف شدند.
reports-answered = پاسخ‌داده
reports-answered-how = تماس‌های صف که کارشناسی به آن‌ها پاسخ داد.
reports-abandoned = رهاشده
reports-abandoned-how = تماس‌گیرندگانی که در انتظار قطع کردند؛ آن‌ها که در { $seconds } ثانیهٔ اول قطع کردند رهاشدهٔ کوتاه‌اند و جدا شمرده می‌شوند.
reports-service-level = سطح خدمت
reports-service-level-how = پاسخ‌داده در { $seconds } ثانیه ÷ (ورودی صف − رهاشدهٔ کوتاه) = { $within } ÷ { $denominator }.
reports-asa = میانگین سرعت پاسخ
reports-asa-how = میانگین انتظار تماس‌های پاسخ‌داده.
reports-wait = انتظار: میانه / صدک ۹۰ / بیشینه
reports-wait-how = از ورود به صف تا پاسخ یا قطع تماس، برای تماس‌های صف.
reports-aht = میانگین زمان رسیدگی
reports-aht-how = مکالمه + انتظار روی خط + جمع‌بندی تماس‌های پاسخ‌داده.
reports-fcr = حل در اولین تماس
reports-fcr-how = اولین تماس‌هایی که مشتری تا { $days } روز دوباره تماس نگرفت و نامحلول علامت نخوردند، از { $settled } اولین تماسِ قطعی؛ تماس‌های در انتظار (کمتر از { $days } روز، بی‌تکرار تا کنون) جدا شمرده می‌شوند.
reports-requests = درخواست‌های خدمت
reports-requests-how = هر درخواست با اولین تماس مشتری باز می‌شود و تماس‌های پاسخ‌دادهٔ بعدی او را که هر یک تا { $days } روز پس از قبلی است در بر می‌گیرد؛ وقتی جمع‌بندی آخرین تماس «حل شد» باشد بسته می‌شود، یا { $days } روز پس از آخرین تماس مگر آن تماس نامحلول علامت خورده باشد. بسته‌شده در این بازه: { $closed }؛ هنوز باز: { $open }؛ تماس در هر درخواست: میانگین { $mean }، حداکثر { $max }.

reports-hours = تماس‌ها در ساعت‌های روز
reports-hours-how = تماس‌های صف بر حسب ساعت محلی ورود، پاسخ‌داده و رهاشده روی هم.
reports-days = سطح خدمت روزانه
reports-days-how = پاسخ‌داده در { $seconds } ثانیه ÷ (ورودی صف − رهاشدهٔ کوتاه) برای هر روز؛ خط‌چین هدف است، { $target }. روزهای بی‌تماس ستون ندارند.
reports-waits = توزیع زمان انتظار
reports-waits-how = تماس‌های صف بر حسب مدت انتظار به ثانیه، پاسخ‌داده یا رهاشده.
reports-queues = صف‌ها
reports-queues-how = تماس‌های ورودی هر صف؛ سطح خدمت در { $seconds } ثانیه، سرعت پاسخ، زمان رسیدگی و حل در اولین تماس مانند بالا.
reports-agents = کارشناسان
reports-agents-how = رسیدگی‌شده: تماس‌های صف که کارشناس پاسخ داد. زمان رسیدگی: مکالمه + انتظار روی خط + جمع‌بندی. حل در اولین تماس: از اولین تماس‌های قطعی کارشناس، با شمار در انتظار کنارش. درخواست‌های بسته: درخواست‌هایی که آخرین تماسشان با این کارشناس بود و در این بازه بسته شدند (با جمع‌بندی «حل شد» یا { $days } روز بی‌تماس تازه).

reports-axis-hour = ساعت روز
reports-axis-day = روز
reports-axis-wait = انتظار (ثانیه)
reports-axis-calls = تماس‌ها
reports-target = هدف { $target }
reports-bar-hour = ساعت { $hour } — { $answered } پاسخ‌داده، { $abandoned } رهاشده
reports-bar-day = { $day }: { $level } ({ $within } ÷ { $denominator })
reports-bar-day-empty = { $day }: بی‌تماس
reports-bar-wait = { $range } ثانیه: { $count } تماس

reports-col-queue = صف
reports-col-agent = کارشناس
reports-col-handled = رسیدگی‌شده
reports-col-closed = درخواست‌های بسته
reports-periods = بازه‌ها
reports-period-today = امروز
reports-period-yesterday = دیروز
reports-period-this-week = این هفته
reports-period-last-week = هفتهٔ گذشته
reports-period-this-month = این ماه
reports-period-last-month = ماه گذشته
