// Every word of the staff console, in Arabic (first) and English. Status and support-type labels
// use the same wording as the bot's catalogs (locales/ar.json, locales/en.json: request.status.*,
// intake.support_type.*), so staff and beneficiaries read the same names.

const LANG_KEY = 'aiou-staff-lang';

const ar = {
  'app.title': 'لوحة موظفي علاقات المستفيدين',
  'app.org': 'جمعية الأكاديمية الإسلامية المفتوحة',
  'app.skip': 'تخطَّ إلى المحتوى',
  'app.loading': 'جارٍ التحميل…',
  'app.live': 'مباشر',
  'app.offline': 'غير متصل — تُعاد المحاولة',
  'app.error': 'حدث خطأ غير متوقع. حاولوا مرة أخرى.',
  'app.network': 'تعذّر الاتصال بالخادم. تحقّقوا من الاتصال.',
  'app.forbidden': 'ليست لديكم صلاحية لهذا الإجراء.',
  'app.notFound': 'لم نجد ما تبحثون عنه.',
  'app.sessionEnded': 'انتهت الجلسة. سجّلوا الدخول مرة أخرى.',
  'app.saved': 'تم الحفظ.',
  'app.none': 'لا يوجد',
  'app.back': 'رجوع',
  'app.refresh': 'تحديث',
  'app.dash': '—',
  'app.cancel': 'تراجع',

  'lang.switch': 'English',
  'lang.switchLabel': 'Switch to English',

  'nav.label': 'الأقسام',
  'nav.inbox': 'صندوق المحادثات',
  'nav.requests': 'طلبات الدعم',
  'nav.reports': 'التقارير',
  'nav.admin': 'الإدارة',
  'nav.logout': 'تسجيل الخروج',
  'nav.waitingBadge': 'بانتظار موظف: {count}',
  'nav.menu': 'القائمة',

  'login.title': 'تسجيل دخول الموظفين',
  'login.email': 'البريد الإلكتروني',
  'login.password': 'كلمة المرور',
  'login.submit': 'دخول',
  'login.invalid': 'البريد الإلكتروني أو كلمة المرور غير صحيحة.',
  'login.tooMany': 'محاولات كثيرة. حاولوا بعد {minutes} دقيقة.',
  'login.required': 'أدخلوا البريد الإلكتروني وكلمة المرور.',

  'role.agent': 'موظف',
  'role.supervisor': 'مشرف',
  'role.admin': 'مدير النظام',

  'channel.web': 'المحادثة على الموقع',
  'channel.telegram': 'تيليجرام',
  'channel.whatsapp': 'واتساب',

  'mode.bot': 'مع المساعد الآلي',
  'mode.waiting': 'بانتظار موظف',
  'mode.staff': 'مع موظف',
  'mode.closed': 'مغلقة',

  'status.submitted': 'مستلَم وبانتظار الدراسة',
  'status.under_review': 'قيد الدراسة لدى لجنة البحث',
  'status.needs_info': 'بحاجة إلى استكمال بيانات',
  'status.approved': 'مقبول',
  'status.rejected': 'غير مقبول',
  'status.completed': 'تم تقديم الخدمة',
  'status.cancelled': 'ملغى',

  'support.financial': 'دعم مالي',
  'support.food': 'دعم غذائي',
  'support.housing': 'دعم السكن',
  'support.education': 'دعم تعليمي',
  'support.health': 'دعم صحي',
  'support.other': 'أخرى',

  'inbox.title': 'صندوق المحادثات',
  'inbox.tabs': 'عرض المحادثات',
  'inbox.waiting': 'بانتظار موظف',
  'inbox.mine': 'محادثاتي',
  'inbox.open': 'كل المحادثات المفتوحة',
  'inbox.empty': 'لا توجد محادثات هنا الآن.',
  'inbox.waitingFor': 'ينتظر منذ {time}',
  'inbox.lastAt': 'آخر رسالة {time}',
  'inbox.assignedTo': 'يتولاها: {name}',
  'inbox.unnamed': 'مستفيد بلا اسم',
  'inbox.requests': 'الطلبات',
  'inbox.newWaiting': 'محادثة جديدة بانتظار موظف.',
  'inbox.count': 'عدد المحادثات: {count}',
  'inbox.overdue': 'تجاوز مدة الانتظار',
  'inbox.overdueSince': 'تجاوز مدة الانتظار المحددة {time}',
  'inbox.overdueCount': 'تجاوزت مدة الانتظار: {count}',
  'inbox.newOverdue': 'محادثة تجاوزت مدة الانتظار المحددة ولم يرد عليها موظف بعد.',

  'conv.title': 'المحادثة',
  'conv.history': 'سجل المحادثة',
  'conv.contact': 'المستفيد',
  'conv.phone': 'الجوال',
  'conv.channels': 'القنوات',
  'conv.mode': 'الحالة',
  'conv.assigned': 'يتولاها',
  'conv.unassigned': 'لم يتولَّها أحد',
  'conv.escalation': 'طلب التحويل إلى موظف',
  'conv.requests': 'طلبات المستفيد',
  'conv.sender.contact': 'المستفيد',
  'conv.sender.bot': 'المساعد الآلي',
  'conv.sender.staff': 'موظف',
  'conv.delivery.pending': 'قيد الإرسال',
  'conv.delivery.sent': 'أُرسلت',
  'conv.delivery.failed': 'تعذّر الإرسال',
  'conv.takeover': 'تولَّ المحادثة',
  'conv.takenOver': 'توليتم المحادثة. المساعد الآلي صامت الآن.',
  'conv.alreadyAssigned': 'لا يمكن تولّي المحادثة: يتولاها الآن {name}.',
  'conv.reply': 'الرد',
  'conv.replyLabel': 'اكتبوا ردّكم على المستفيد',
  'conv.send': 'إرسال',
  'conv.canned': 'الردود الجاهزة',
  'conv.cannedChoose': 'اختاروا ردًّا جاهزًا…',
  'conv.cannedInsert': 'إدراج',
  'conv.transfer': 'التحويل إلى زميل',
  'conv.transferTo': 'الزميل',
  'conv.transferChoose': 'اختاروا زميلًا…',
  'conv.transferSubmit': 'تحويل',
  'conv.transferred': 'تم تحويل المحادثة إلى {name}.',
  'conv.handback': 'إعادة المحادثة إلى المساعد الآلي',
  'conv.handedBack': 'أُعيدت المحادثة إلى المساعد الآلي، وأُبلغ المستفيد.',
  'conv.close': 'إغلاق المحادثة',
  'conv.closed': 'أُغلقت المحادثة، وسيُرسل استبيان الرضا.',
  'conv.notAssignedToYou': 'تولَّوا المحادثة أولًا للرد عليها.',
  'conv.isClosed': 'هذه المحادثة مغلقة.',
  'conv.newMessage': 'رسالة جديدة من المستفيد: {text}',
  'conv.choices': 'الخيارات المعروضة',
  'conv.empty': 'لا توجد رسائل بعد.',
  'conv.actions': 'الإجراءات',
  'conv.botRunning': 'المساعد الآلي يتولى هذه المحادثة الآن. تولَّوها أولًا للرد على المستفيد.',
  'conv.sendHint': 'Enter للإرسال، وShift+Enter لسطر جديد.',
  'conv.closeConfirmTitle': 'إغلاق المحادثة؟',
  'conv.closeConfirmText':
    'تنتهي المحادثة ويُرسل إلى المستفيد استبيان الرضا. إن كتب بعدها فسيبدأ محادثة جديدة مع المساعد الآلي.',
  'conv.closeConfirm': 'نعم، أغلقوا المحادثة',
  'conv.escalationAt': 'منذ {time}',
  'conv.escalationFlow': 'كان المستفيد في: {flow}',
  'conv.dataRights': 'البيانات الشخصية',
  'conv.dataRightsHint': 'بطلب من المستفيد: نسخة من كل ما تحفظه الجمعية عنه، أو محو بياناته الشخصية.',
  'conv.exportData': 'تنزيل نسخة من بيانات المستفيد',
  'conv.eraseData': 'محو البيانات الشخصية للمستفيد',
  'conv.eraseConfirmTitle': 'محو البيانات الشخصية للمستفيد؟',
  'conv.eraseConfirmText':
    'سيُمحى اسمه ورقم جواله ومعرّفات قنواته ونصوص جميع رسائله، وبيانات طلباته (الاسم ورقم الهوية والجوال والمدينة والدخل ووصف الاحتياج) وملاحظات الموظفين عليها وتعليقات تقييمه، وتُغلَق محادثاته. تبقى أعداد الطلبات وحالاتها والتقييمات في التقارير. لا يمكن التراجع عن ذلك.',
  'conv.eraseConfirm': 'نعم، امحُ البيانات',
  'conv.erased': 'مُحيت البيانات الشخصية للمستفيد.',
  'conv.erasedAt': 'مُحيت البيانات الشخصية لهذا المستفيد في {time}.',
  'conv.erasedName': 'مستفيد مُحيت بياناته',
  'flow.main_menu': 'القائمة الرئيسية',
  'flow.faq': 'الأسئلة الشائعة',
  'flow.intake': 'تقديم طلب دعم',
  'flow.status': 'الاستعلام عن حالة طلب',
  'flow.rating': 'تقييم الخدمة',
  'flow.handoff': 'التحدث مع موظف',

  'req.title': 'طلبات الدعم',
  'req.filters': 'تصفية الطلبات',
  'req.status': 'الحالة',
  'req.any': 'الكل',
  'req.from': 'من تاريخ',
  'req.to': 'إلى تاريخ',
  'req.city': 'المدينة',
  'req.supportType': 'نوع الدعم',
  'req.search': 'بحث بالرقم المرجعي أو الاسم',
  'req.apply': 'بحث',
  'req.reset': 'مسح',
  'req.total': 'عدد الطلبات: {count}',
  'req.empty': 'لا توجد طلبات مطابقة.',
  'req.prev': 'السابق',
  'req.next': 'التالي',
  'req.page': 'الصفحة {page} من {pages}',
  'req.reference': 'الرقم المرجعي',
  'req.name': 'الاسم',
  'req.nationalId': 'رقم الهوية/الإقامة',
  'req.mobile': 'الجوال',
  'req.familySize': 'عدد أفراد الأسرة',
  'req.income': 'الدخل الشهري',
  'req.incomeValue': '{amount} ريال',
  'req.description': 'الوصف',
  'req.createdAt': 'تاريخ التقديم',
  'req.updatedAt': 'آخر تحديث',
  'req.assignedTo': 'الموظف المسؤول',
  'req.conversation': 'محادثة المستفيد',
  'req.reveal': 'إظهار',
  'req.revealLabel': 'إظهار {field} (يُسجَّل في سجل التدقيق)',
  'req.revealDenied': 'الإظهار متاح للموظف المسؤول عن الطلب وللمشرفين فقط.',
  'req.refreshed': 'غيّر زميل هذا الطلب، والمعروض الآن حالته الحالية.',
  'req.changedElsewhere': 'غيّر زميل هذا الطلب أثناء كتابتكم؛ سيظهر التغيير بعد حفظ تعديلكم أو تحديث الصفحة.',
  'req.erased': 'مُحيت البيانات الشخصية لمقدم الطلب في {time}؛ بقي الطلب وحالته للإحصاءات.',
  'req.history': 'سجل الحالات',
  'req.assignments': 'سجل الإسناد',
  'req.assignmentEntry': 'من {from} إلى {to}',
  'req.assignmentBy': 'بواسطة {name}',
  'req.noHandler': 'دون موظف مسؤول',
  'req.by.beneficiary': 'المستفيد',
  'req.by.system': 'النظام',
  'req.changeStatus': 'تغيير الحالة',
  'req.newStatus': 'الحالة الجديدة',
  'req.note': 'ملاحظة',
  'req.submitStatus': 'حفظ الحالة',
  'req.statusChanged': 'تغيّرت الحالة إلى «{status}»، وسيُبلَّغ المستفيد.',
  'req.invalidTransition': 'لا يمكن الانتقال إلى هذه الحالة من الحالة الحالية.',
  'req.finalStatus': 'هذه حالة نهائية، لا انتقال بعدها.',
  'req.handledByColleague': 'يتولى هذا الطلب زميلكم {name}، ولا يغيّر حالته إلا هو أو أحد المشرفين.',
  'req.handledByAColleague': 'يتولى هذا الطلب أحد زملائكم، ولا يغيّر حالته إلا هو أو أحد المشرفين.',
  'req.open': 'فتح الطلب {reference}',
  'req.detail': 'الطلب {reference}',
  'req.assign': 'إسناد الطلب',
  'req.assignTo': 'الموظف المسؤول',
  'req.assignNone': 'بلا موظف مسؤول',
  'req.assignYou': '{name} (أنتم)',
  'req.assignInactive': '{name} (حساب غير نشط)',
  'req.assignSubmit': 'حفظ الإسناد',
  'req.assignHint': 'لا يُبلَّغ المستفيد بتغيير الموظف المسؤول.',
  'req.assigned': 'أُسند الطلب إلى {name}.',
  'req.unassigned': 'لم يعد للطلب موظف مسؤول.',
  'req.assignInvalid': 'لا يمكن الإسناد إلا إلى حساب موظف نشط.',
  'req.finalConfirmTitle': 'تغيير الحالة إلى «{status}»؟',
  'req.finalConfirmText': 'هذه حالة نهائية: لا تُغيَّر الحالة بعدها، وسيُبلَّغ المستفيد بها.',
  'req.finalConfirm': 'نعم، غيّروا الحالة',
  'req.becomeHandler': 'بتغيير الحالة تصبحون الموظف المسؤول عن هذا الطلب.',

  'rep.title': 'التقارير',
  'rep.period': 'الفترة',
  'rep.apply': 'عرض',
  'rep.satisfaction': 'رضا المستفيدين',
  'rep.count': 'عدد التقييمات',
  'rep.csat': 'نسبة الرضا (4–5)',
  'rep.average': 'متوسط التقييم',
  'rep.medianFirstResponse': 'وسيط زمن أول رد',
  'rep.distribution': 'توزيع التقييمات',
  'rep.trend': 'الاتجاه الأسبوعي لنسبة الرضا',
  'rep.byChannel': 'حسب القناة',
  'rep.byStaff': 'حسب الموظف',
  'rep.lowScores': 'تقييمات منخفضة (1–2) للمتابعة',
  'rep.requestsByStatus': 'الطلبات حسب الحالة',
  'rep.export': 'تصدير CSV',
  'rep.exportRatings': 'تنزيل التقييمات (CSV)',
  'rep.exportRequests': 'تنزيل الطلبات (CSV)',
  'rep.score': 'التقييم',
  'rep.comment': 'التعليق',
  'rep.noComment': 'بلا تعليق',
  'rep.week': 'الأسبوع',
  'rep.channel': 'القناة',
  'rep.staff': 'الموظف',
  'rep.noData': 'لا توجد بيانات في هذه الفترة.',
  'rep.channelLine': 'التقييمات: {count} · الرضا: {csat} · المتوسط: {average}',
  'rep.openConversation': 'فتح المحادثة',
  'rep.stars': '{score} من 5',
  'rep.chartDistribution': 'رسم أعمدة: عدد التقييمات لكل درجة من 1 إلى 5',
  'rep.chartTrend': 'رسم خطي: نسبة الرضا لكل أسبوع',
  'rep.chartStatus': 'رسم أعمدة: عدد الطلبات لكل حالة',

  'adm.title': 'الإدارة',
  'adm.accounts': 'حسابات الموظفين',
  'adm.email': 'البريد الإلكتروني',
  'adm.name': 'الاسم',
  'adm.role': 'الدور',
  'adm.password': 'كلمة المرور',
  'adm.state': 'الحالة',
  'adm.active': 'فعّال',
  'adm.disabled': 'معطّل',
  'adm.disable': 'تعطيل',
  'adm.enable': 'تفعيل',
  'adm.createAccount': 'إنشاء حساب',
  'adm.created': 'أُنشئ الحساب.',
  'adm.changeRole': 'تغيير دور {name}',
  'adm.canned': 'الردود الجاهزة',
  'adm.cannedTitle': 'العنوان',
  'adm.cannedText': 'النص',
  'adm.cannedAdd': 'إضافة رد جاهز',
  'adm.save': 'حفظ',
  'adm.delete': 'حذف',
  'adm.audit': 'سجل التدقيق',
  'adm.at': 'الوقت',
  'adm.who': 'من',
  'adm.action': 'الإجراء',
  'adm.target': 'الهدف',
  'adm.details': 'التفاصيل',
  'adm.whatsapp': 'ربط واتساب',
  'adm.queues': 'طوابير المهام',
  'adm.queuesHelp': 'رسائل الإرسال والمتابعات المجدولة: المنتظرة والمؤجلة والمتعثرة، مع إعادة المحاولة.',
  'adm.queuesOpen': 'فتح لوحة الطوابير',
  'adm.whatsappState': 'حالة القناة: {state}',
  'adm.whatsappScan': 'امسحوا الرمز من تطبيق واتساب: الأجهزة المرتبطة ← ربط جهاز.',
  'adm.whatsappQr': 'رمز QR لربط واتساب',
  'adm.whatsappNoQr': 'لا يوجد رمز للمسح الآن.',
  'adm.createdAt': 'أُنشئ',
  'adm.emailTaken': 'يوجد حساب بهذا البريد الإلكتروني.',
  'adm.lastAdmin': 'لا يمكن تعطيل آخر مدير نظام فعّال أو تغيير دوره.',
  'adm.disableConfirmTitle': 'تعطيل حساب {name}؟',
  'adm.disableConfirmText': 'يُسجَّل خروجه فورًا من كل الأجهزة، ولا يستطيع الدخول حتى يُفعَّل حسابه من جديد.',
  'adm.disableConfirm': 'نعم، عطّلوا الحساب',
  'adm.deleteConfirmTitle': 'حذف الرد الجاهز «{title}»؟',
  'adm.deleteConfirmText': 'يُحذف الرد لجميع الموظفين، ولا يمكن استرجاعه.',
  'adm.deleteConfirm': 'نعم، احذفوه',
  'adm.deleted': 'حُذف الرد الجاهز.',
  'adm.setPassword': 'كلمة مرور جديدة',
  'adm.setPasswordFor': 'كلمة مرور جديدة لـ {name}',
  'adm.setPasswordSubmit': 'تعيين',
  'adm.passwordHint': '12 حرفًا على الأقل. يُسجَّل خروج صاحب الحساب من أجهزته الأخرى.',
  'adm.passwordSet': 'عُيّنت كلمة المرور الجديدة.',
  'adm.passwordTooShort': 'كلمة المرور 12 حرفًا على الأقل.',
  'wa.off': 'غير مفعّلة',
  'wa.starting': 'جارٍ التشغيل',
  'wa.qr': 'بانتظار مسح الرمز',
  'wa.authenticated': 'تم التحقق، جارٍ الاتصال',
  'wa.ready': 'متصلة',
  'wa.down': 'متوقفة',
  'audit.login': 'تسجيل دخول',
  'audit.login_failed': 'محاولة دخول فاشلة',
  'audit.login_throttled': 'دخول محجوب مؤقتًا',
  'audit.logout': 'تسجيل خروج',
  'audit.conversation.takeover': 'تولّي محادثة',
  'audit.conversation.reply': 'رد على محادثة',
  'audit.conversation.transfer': 'تحويل محادثة',
  'audit.conversation.handback': 'إعادة محادثة إلى المساعد الآلي',
  'audit.conversation.close': 'إغلاق محادثة',
  'audit.request.status': 'تغيير حالة طلب',
  'audit.request.assign': 'إسناد طلب',
  'audit.request.reveal': 'إظهار رقم شخصي',
  'audit.canned_reply.create': 'إضافة رد جاهز',
  'audit.canned_reply.update': 'تعديل رد جاهز',
  'audit.canned_reply.delete': 'حذف رد جاهز',
  'audit.account.create': 'إنشاء حساب',
  'audit.account.update': 'تعديل حساب',
  'audit.report.export': 'تصدير تقرير',
  'audit.contact.export': 'تنزيل نسخة من بيانات مستفيد',
  'audit.contact.erase': 'محو البيانات الشخصية لمستفيد',
};

const en = {
  'app.title': 'Beneficiary relations console',
  'app.org': 'Open Islamic Academy Association',
  'app.skip': 'Skip to content',
  'app.loading': 'Loading…',
  'app.live': 'Live',
  'app.offline': 'Offline — retrying',
  'app.error': 'Something went wrong. Please try again.',
  'app.network': 'Cannot reach the server. Check the connection.',
  'app.forbidden': 'You are not allowed to do this.',
  'app.notFound': 'Not found.',
  'app.sessionEnded': 'Your session ended. Please sign in again.',
  'app.saved': 'Saved.',
  'app.none': 'None',
  'app.back': 'Back',
  'app.refresh': 'Refresh',
  'app.dash': '—',
  'app.cancel': 'Go back',

  'lang.switch': 'العربية',
  'lang.switchLabel': 'التبديل إلى العربية',

  'nav.label': 'Sections',
  'nav.inbox': 'Inbox',
  'nav.requests': 'Requests',
  'nav.reports': 'Reports',
  'nav.admin': 'Admin',
  'nav.logout': 'Sign out',
  'nav.waitingBadge': 'Waiting for staff: {count}',
  'nav.menu': 'Menu',

  'login.title': 'Staff sign-in',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.invalid': 'Wrong email or password.',
  'login.tooMany': 'Too many attempts. Try again in {minutes} min.',
  'login.required': 'Enter your email and password.',

  'role.agent': 'Agent',
  'role.supervisor': 'Supervisor',
  'role.admin': 'Administrator',

  'channel.web': 'Web chat',
  'channel.telegram': 'Telegram',
  'channel.whatsapp': 'WhatsApp',

  'mode.bot': 'With the bot',
  'mode.waiting': 'Waiting for staff',
  'mode.staff': 'With staff',
  'mode.closed': 'Closed',

  'status.submitted': 'Received, awaiting study',
  'status.under_review': 'Under study by the research committee',
  'status.needs_info': 'More information needed',
  'status.approved': 'Accepted',
  'status.rejected': 'Not accepted',
  'status.completed': 'Service provided',
  'status.cancelled': 'Cancelled',

  'support.financial': 'Financial support',
  'support.food': 'Food support',
  'support.housing': 'Housing support',
  'support.education': 'Education support',
  'support.health': 'Health support',
  'support.other': 'Other',

  'inbox.title': 'Inbox',
  'inbox.tabs': 'Conversation views',
  'inbox.waiting': 'Waiting',
  'inbox.mine': 'Mine',
  'inbox.open': 'All open',
  'inbox.empty': 'No conversations here right now.',
  'inbox.waitingFor': 'Waiting for {time}',
  'inbox.lastAt': 'Last message {time}',
  'inbox.assignedTo': 'Handled by {name}',
  'inbox.unnamed': 'Unnamed beneficiary',
  'inbox.requests': 'Requests',
  'inbox.newWaiting': 'A new conversation is waiting for staff.',
  'inbox.count': 'Conversations: {count}',
  'inbox.overdue': 'Waiting too long',
  'inbox.overdueSince': 'Past the waiting-time limit {time}',
  'inbox.overdueCount': 'Waiting too long: {count}',
  'inbox.newOverdue': 'A conversation has waited longer than the time limit and still has no reply.',

  'conv.title': 'Conversation',
  'conv.history': 'Conversation history',
  'conv.contact': 'Beneficiary',
  'conv.phone': 'Mobile',
  'conv.channels': 'Channels',
  'conv.mode': 'State',
  'conv.assigned': 'Handled by',
  'conv.unassigned': 'Nobody yet',
  'conv.escalation': 'Escalation',
  'conv.requests': 'Beneficiary’s requests',
  'conv.sender.contact': 'Beneficiary',
  'conv.sender.bot': 'Bot',
  'conv.sender.staff': 'Staff',
  'conv.delivery.pending': 'Sending',
  'conv.delivery.sent': 'Sent',
  'conv.delivery.failed': 'Not delivered',
  'conv.takeover': 'Take over',
  'conv.takenOver': 'You took over the conversation. The bot is silent now.',
  'conv.alreadyAssigned': 'Cannot take over: {name} is handling this conversation.',
  'conv.reply': 'Reply',
  'conv.replyLabel': 'Your reply to the beneficiary',
  'conv.send': 'Send',
  'conv.canned': 'Canned replies',
  'conv.cannedChoose': 'Choose a canned reply…',
  'conv.cannedInsert': 'Insert',
  'conv.transfer': 'Transfer to a colleague',
  'conv.transferTo': 'Colleague',
  'conv.transferChoose': 'Choose a colleague…',
  'conv.transferSubmit': 'Transfer',
  'conv.transferred': 'Conversation transferred to {name}.',
  'conv.handback': 'Hand back to the bot',
  'conv.handedBack': 'Handed back to the bot; the beneficiary was told.',
  'conv.close': 'Close conversation',
  'conv.closed': 'Conversation closed; the satisfaction survey will be sent.',
  'conv.notAssignedToYou': 'Take over the conversation to reply.',
  'conv.isClosed': 'This conversation is closed.',
  'conv.newMessage': 'New message from the beneficiary: {text}',
  'conv.choices': 'Choices shown',
  'conv.empty': 'No messages yet.',
  'conv.actions': 'Actions',
  'conv.botRunning': 'The bot is handling this conversation. Take it over to reply.',
  'conv.sendHint': 'Enter to send, Shift+Enter for a new line.',
  'conv.closeConfirmTitle': 'Close the conversation?',
  'conv.closeConfirmText':
    'The conversation ends and the beneficiary gets the satisfaction survey. If they write again, a new conversation with the bot begins.',
  'conv.closeConfirm': 'Yes, close it',
  'conv.escalationAt': 'Since {time}',
  'conv.escalationFlow': 'The beneficiary was in: {flow}',
  'conv.dataRights': 'Personal data',
  'conv.dataRightsHint':
    'At the beneficiary’s request: a copy of everything the association holds about them, or erasure of their personal data.',
  'conv.exportData': 'Download a copy of the beneficiary’s data',
  'conv.eraseData': 'Erase the beneficiary’s personal data',
  'conv.eraseConfirmTitle': 'Erase this beneficiary’s personal data?',
  'conv.eraseConfirmText':
    'Their name, mobile, channel ids and every message text, their requests’ applicant data (name, ID, mobile, city, income, description of the need), staff notes on them and rating comments are erased, and their conversations closed. Request counts, statuses and ratings stay in the reports. This cannot be undone.',
  'conv.eraseConfirm': 'Yes, erase',
  'conv.erased': 'The beneficiary’s personal data was erased.',
  'conv.erasedAt': 'This beneficiary’s personal data was erased on {time}.',
  'conv.erasedName': 'Beneficiary (data erased)',
  'flow.main_menu': 'Main menu',
  'flow.faq': 'Frequently asked questions',
  'flow.intake': 'Support request',
  'flow.status': 'Request status look-up',
  'flow.rating': 'Service rating',
  'flow.handoff': 'Talk to staff',

  'req.title': 'Support requests',
  'req.filters': 'Filter requests',
  'req.status': 'Status',
  'req.any': 'Any',
  'req.from': 'From',
  'req.to': 'To',
  'req.city': 'City',
  'req.supportType': 'Support type',
  'req.search': 'Search by reference or name',
  'req.apply': 'Search',
  'req.reset': 'Clear',
  'req.total': 'Requests: {count}',
  'req.empty': 'No matching requests.',
  'req.prev': 'Previous',
  'req.next': 'Next',
  'req.page': 'Page {page} of {pages}',
  'req.reference': 'Reference',
  'req.name': 'Name',
  'req.nationalId': 'National ID / Iqama',
  'req.mobile': 'Mobile',
  'req.familySize': 'Family size',
  'req.income': 'Monthly income',
  'req.incomeValue': 'SAR {amount}',
  'req.description': 'Description',
  'req.createdAt': 'Submitted',
  'req.updatedAt': 'Last update',
  'req.assignedTo': 'Handling staff',
  'req.conversation': 'Beneficiary’s conversation',
  'req.reveal': 'Reveal',
  'req.revealLabel': 'Reveal {field} (recorded in the audit log)',
  'req.revealDenied': 'Only the request’s handling staff and supervisors may reveal this.',
  'req.erased':
    'The applicant’s personal data was erased on {time}; the request and its status remain for statistics.',
  'req.history': 'Status history',
  'req.assignments': 'Handler changes',
  'req.assignmentEntry': 'From {from} to {to}',
  'req.assignmentBy': 'by {name}',
  'req.noHandler': 'no handler',
  'req.by.beneficiary': 'Beneficiary',
  'req.by.system': 'System',
  'req.changeStatus': 'Change status',
  'req.newStatus': 'New status',
  'req.note': 'Note',
  'req.submitStatus': 'Save status',
  'req.statusChanged': 'Status changed to “{status}”; the beneficiary will be notified.',
  'req.invalidTransition': 'This status cannot follow the current one.',
  'req.finalStatus': 'This status is final.',
  'req.handledByColleague':
    'This request is handled by your colleague {name}; only they or a supervisor can change its status.',
  'req.handledByAColleague':
    'This request is handled by a colleague; only they or a supervisor can change its status.',
  'req.open': 'Open request {reference}',
  'req.detail': 'Request {reference}',
  'req.assign': 'Assign the request',
  'req.assignTo': 'Handling staff',
  'req.assignNone': 'No handler',
  'req.assignYou': '{name} (you)',
  'req.assignInactive': '{name} (inactive account)',
  'req.assignSubmit': 'Save assignment',
  'req.assignHint': 'The beneficiary is not told about a change of handler.',
  'req.assigned': 'Request assigned to {name}.',
  'req.unassigned': 'The request no longer has a handler.',
  'req.assignInvalid': 'A request can only be assigned to an active staff account.',
  'req.finalConfirmTitle': 'Change the status to “{status}”?',
  'req.finalConfirmText':
    'This status is final: it cannot be changed afterwards, and the beneficiary will be told.',
  'req.finalConfirm': 'Yes, change it',
  'req.becomeHandler': 'Changing the status makes you the request’s handling staff.',

  'rep.title': 'Reports',
  'rep.period': 'Period',
  'rep.apply': 'Show',
  'rep.satisfaction': 'Beneficiary satisfaction',
  'rep.count': 'Ratings',
  'rep.csat': 'CSAT (4–5)',
  'rep.average': 'Average score',
  'rep.medianFirstResponse': 'Median first response',
  'rep.distribution': 'Score distribution',
  'rep.trend': 'Weekly CSAT trend',
  'rep.byChannel': 'By channel',
  'rep.byStaff': 'By staff member',
  'rep.lowScores': 'Low scores (1–2) to follow up',
  'rep.requestsByStatus': 'Requests by status',
  'rep.export': 'CSV export',
  'rep.exportRatings': 'Download ratings (CSV)',
  'rep.exportRequests': 'Download requests (CSV)',
  'rep.score': 'Score',
  'rep.comment': 'Comment',
  'rep.noComment': 'No comment',
  'rep.week': 'Week',
  'rep.channel': 'Channel',
  'rep.staff': 'Staff member',
  'rep.noData': 'No data for this period.',
  'rep.channelLine': 'Ratings: {count} · CSAT: {csat} · average: {average}',
  'rep.openConversation': 'Open conversation',
  'rep.stars': '{score} of 5',
  'rep.chartDistribution': 'Bar chart: number of ratings for each score from 1 to 5',
  'rep.chartTrend': 'Line chart: CSAT per week',
  'rep.chartStatus': 'Bar chart: number of requests per status',

  'adm.title': 'Admin',
  'adm.accounts': 'Staff accounts',
  'adm.email': 'Email',
  'adm.name': 'Name',
  'adm.role': 'Role',
  'adm.password': 'Password',
  'adm.state': 'State',
  'adm.active': 'Active',
  'adm.disabled': 'Disabled',
  'adm.disable': 'Disable',
  'adm.enable': 'Enable',
  'adm.createAccount': 'Create account',
  'adm.created': 'Account created.',
  'adm.changeRole': 'Change role of {name}',
  'adm.canned': 'Canned replies',
  'adm.cannedTitle': 'Title',
  'adm.cannedText': 'Text',
  'adm.cannedAdd': 'Add canned reply',
  'adm.save': 'Save',
  'adm.delete': 'Delete',
  'adm.audit': 'Audit log',
  'adm.at': 'When',
  'adm.who': 'Who',
  'adm.action': 'Action',
  'adm.target': 'Target',
  'adm.details': 'Details',
  'adm.whatsapp': 'WhatsApp login',
  'adm.queues': 'Job queues',
  'adm.queuesHelp':
    'Outbound deliveries and scheduled follow-ups: waiting, delayed and failed jobs, with retry.',
  'adm.queuesOpen': 'Open the queue board',
  'adm.whatsappState': 'Channel state: {state}',
  'adm.whatsappScan': 'Scan the code in WhatsApp: Linked devices → Link a device.',
  'adm.whatsappQr': 'WhatsApp login QR code',
  'adm.whatsappNoQr': 'No code to scan right now.',
  'adm.createdAt': 'Created',
  'adm.emailTaken': 'An account with this email already exists.',
  'adm.lastAdmin': 'The last active administrator cannot be disabled or given another role.',
  'adm.disableConfirmTitle': 'Disable the account of {name}?',
  'adm.disableConfirmText':
    'They are signed out everywhere at once and cannot sign in until the account is enabled again.',
  'adm.disableConfirm': 'Yes, disable it',
  'adm.deleteConfirmTitle': 'Delete the canned reply “{title}”?',
  'adm.deleteConfirmText': 'It is deleted for all staff and cannot be restored.',
  'adm.deleteConfirm': 'Yes, delete it',
  'adm.deleted': 'Canned reply deleted.',
  'adm.setPassword': 'New password',
  'adm.setPasswordFor': 'New password for {name}',
  'adm.setPasswordSubmit': 'Set',
  'adm.passwordHint': 'At least 12 characters. The account holder is signed out of their other devices.',
  'adm.passwordSet': 'The new password is set.',
  'adm.passwordTooShort': 'A password has at least 12 characters.',
  'wa.off': 'Off',
  'wa.starting': 'Starting',
  'wa.qr': 'Waiting for the code to be scanned',
  'wa.authenticated': 'Authenticated, connecting',
  'wa.ready': 'Connected',
  'wa.down': 'Down',
  'audit.login': 'Sign-in',
  'audit.login_failed': 'Failed sign-in',
  'audit.login_throttled': 'Sign-in blocked for a while',
  'audit.logout': 'Sign-out',
  'audit.conversation.takeover': 'Conversation taken over',
  'audit.conversation.reply': 'Reply in a conversation',
  'audit.conversation.transfer': 'Conversation transferred',
  'audit.conversation.handback': 'Conversation handed back to the bot',
  'audit.conversation.close': 'Conversation closed',
  'audit.request.status': 'Request status changed',
  'audit.request.assign': 'Request assigned',
  'audit.request.reveal': 'Personal number revealed',
  'audit.canned_reply.create': 'Canned reply added',
  'audit.canned_reply.update': 'Canned reply edited',
  'audit.canned_reply.delete': 'Canned reply deleted',
  'audit.account.create': 'Account created',
  'audit.account.update': 'Account changed',
  'audit.report.export': 'Report exported',
  'audit.contact.export': 'Beneficiary data copied',
  'audit.contact.erase': 'Beneficiary personal data erased',
};

export const DICTIONARIES = { ar, en };
export const LANGS = ['ar', 'en'];
export const STATUSES = [
  'submitted',
  'under_review',
  'needs_info',
  'approved',
  'rejected',
  'completed',
  'cancelled',
];
export const SUPPORT_TYPES = ['financial', 'food', 'housing', 'education', 'health', 'other'];
export const CHANNELS = ['web', 'telegram', 'whatsapp'];
export const ROLES = ['agent', 'supervisor', 'admin'];

let lang = readSavedLang();
const listeners = new Set();

function readSavedLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'ar' || saved === 'en') return saved;
  } catch {
    // Storage blocked: Arabic, the default, for this page only.
  }
  return 'ar';
}

export function getLang() {
  return lang;
}

/** Sets the language, remembers it, switches <html lang dir>, and tells the views to re-render. */
export function setLang(next) {
  if (next !== 'ar' && next !== 'en') return;
  lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // Not remembered; still switched.
  }
  applyLangToDocument();
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function applyLangToDocument() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
  document.title = `${t('app.title')} — ${t('app.org')}`;
}

/** The text of a key with `{name}` placeholders filled in (values are plain text, never markup). */
export function t(key, params = {}) {
  const template = DICTIONARIES[lang][key] ?? DICTIONARIES.ar[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : match,
  );
}

/** A label for a known value (status, channel…), or the raw value if the server sent a new one. */
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return Object.hasOwn(DICTIONARIES[lang], key) ? t(key) : String(value ?? '');
}

// Western digits in both languages: references, IDs and amounts read the same everywhere; the
// Gregorian calendar, because ar-SA alone would format dates in the Hijri calendar.
function intlLocale() {
  return lang === 'ar' ? 'ar-SA-u-ca-gregory-nu-latn' : 'en-GB';
}

export function formatNumber(value, options = {}) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return t('app.dash');
  return new Intl.NumberFormat(intlLocale(), options).format(Number(value));
}

export function formatPercent(share) {
  if (share === null || share === undefined) return t('app.dash');
  return formatNumber(share, { style: 'percent', maximumFractionDigits: 1 });
}

export function formatDateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return t('app.dash');
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return t('app.dash');
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium' }).format(date);
}

export function formatTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(intlLocale(), {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

/** "5 minutes ago" / «قبل ٥ دقائق», in the largest unit that fits. */
export function formatAgo(value, now = Date.now()) {
  const at = new Date(value).getTime();
  if (!Number.isFinite(at)) return t('app.dash');
  const seconds = Math.round((at - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

/** Time since `value` in its largest whole unit, in words: «5 دقائق», "5 minutes" (waiting times). */
export function formatElapsed(value, now = Date.now()) {
  const at = new Date(value).getTime();
  if (!Number.isFinite(at)) return t('app.dash');
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  const [amount, unit] =
    seconds < 60
      ? [seconds, 'second']
      : seconds < 3600
        ? [Math.floor(seconds / 60), 'minute']
        : seconds < 86400
          ? [Math.floor(seconds / 3600), 'hour']
          : [Math.floor(seconds / 86400), 'day'];
  return new Intl.NumberFormat(intlLocale(), { style: 'unit', unit, unitDisplay: 'long' }).format(amount);
}

/** A duration in seconds as "3 min 20 s" (or its Arabic), for the first response time. */
export function formatDuration(totalSeconds) {
  if (totalSeconds === null || totalSeconds === undefined || !Number.isFinite(Number(totalSeconds)))
    return t('app.dash');
  const s = Math.round(Number(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const unit = (n, u) =>
    new Intl.NumberFormat(intlLocale(), { style: 'unit', unit: u, unitDisplay: 'short' }).format(n);
  if (hours > 0) return `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
  if (minutes > 0) return `${unit(minutes, 'minute')} ${unit(seconds, 'second')}`;
  return unit(seconds, 'second');
}
