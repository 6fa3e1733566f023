# چیدمان صفحه، ورود، خطاها و واژه‌های مشترک همه‌ی صفحه‌ها.

app-name = تماس
nav-console = میز کار
nav-contacts = مخاطبان
nav-audit = گزارش رویدادها
nav-tokens = توکن‌ها
signed-in-as = وارد شده با نام { $name }
sign-out = خروج
language-label = زبان
language-en = English
language-fa = فارسی
language-switch = تغییر

login-title = ورود
login-username = نام کاربری
login-password = گذرواژه
login-submit = ورود
login-failed = نام کاربری یا گذرواژه درست نیست.
login-throttled = تلاش‌های ناموفق بیش از حد بوده است. { $seconds } ثانیه‌ی دیگر دوباره امتحان کنید.

error-title = مشکلی پیش آمد
error-not-found = این صفحه وجود ندارد یا اجازه‌ی دیدنش را ندارید.
error-forbidden = نقش شما اجازه‌ی این کار را نمی‌دهد.
error-unavailable = سرویس اکنون در دسترس نیست. کمی بعد دوباره امتحان کنید.
error-bad-request = درخواست معتبر نیست: { $detail }
error-internal = خطای پیش‌بینی‌نشده‌ای رخ داد و ثبت شد.
error-back = بازگشت به میز کار

month-1 = فروردین
month-2 = اردیبهشت
month-3 = خرداد
month-4 = تیر
month-5 = مرداد
month-6 = شهریور
month-7 = مهر
month-8 = آبان
month-9 = آذر
month-10 = دی
month-11 = بهمن
month-12 = اسفند

yes = بله
no = خیر
stage-lead = سرنخ
stage-customer = مشتری

direction-inbound = ورودی
direction-outbound = خروجی
direction-internal = داخلی
disposition-answered = پاسخ داده شد
disposition-abandoned = رها شد
disposition-no_answer = بی‌پاسخ
disposition-busy = اشغال
disposition-failed = ناموفق

col-time = زمان
col-direction = جهت
col-number = شماره
col-caller = نام تماس‌گیرنده
col-contact = مخاطب
col-agent = کارشناس
col-queue = صف
col-wait = انتظار
col-talk = مکالمه
col-result = نتیجه
col-outcome = پیامد
col-note = یادداشت پایان تماس

outcome-info = اطلاعات داده شد
outcome-support = مشکل حل شد
outcome-sale = فروش
outcome-complaint = شکایت
outcome-escalated = ارجاع به سطح بالاتر
outcome-callback = نیاز به تماس دوباره
outcome-wrong_number = شماره‌ی اشتباه
outcome-other = سایر

audit-title = گزارش رویدادها
audit-time = زمان
audit-actor = چه کسی
audit-action = چه کاری
audit-subject = روی چه
audit-detail = جزئیات
number-withheld = شماره‌ی پنهان

tokens-title = توکن‌های API
tokens-id = شناسه
tokens-owner = کاربر
tokens-scope = دامنه
tokens-created = ساخته شده
tokens-last-used = آخرین استفاده
tokens-state = وضعیت
tokens-revoked = باطل شده
tokens-revoke = باطل کن
# Why a click-to-call could not be placed (stored beside the disposition).
failure-agent_busy = تلفنِ خودِ کارشناس اشغال بود
failure-agent_no_answer = تلفنِ خودِ کارشناس پاسخ نداد
failure-pbx_refused = سامانه‌ی تلفن تماس را نپذیرفت
failure-pbx_unreachable = سامانه‌ی تلفن در دسترس نبود
