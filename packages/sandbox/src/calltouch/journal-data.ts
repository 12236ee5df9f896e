/** Word lists for the seeded requests journal: plausible Russian leads, never real people. */

export const FIRST_NAMES_M = [
  'Александр',
  'Дмитрий',
  'Максим',
  'Сергей',
  'Андрей',
  'Алексей',
  'Иван',
  'Михаил',
  'Николай',
  'Павел',
  'Егор',
  'Артём',
];
export const FIRST_NAMES_F = [
  'Анна',
  'Мария',
  'Елена',
  'Ольга',
  'Татьяна',
  'Наталья',
  'Екатерина',
  'Ирина',
  'Светлана',
  'Юлия',
  'Дарья',
  'Ксения',
];
export const SURNAMES = [
  'Иванов',
  'Смирнов',
  'Кузнецов',
  'Попов',
  'Васильев',
  'Петров',
  'Соколов',
  'Михайлов',
  'Новиков',
  'Фёдоров',
  'Морозов',
  'Волков',
  'Лебедев',
  'Козлов',
];
export const MANAGERS = ['Орлова Марина', 'Гусев Олег', 'Белова Анастасия', 'Титов Роман'];
export const SUBJECTS = [
  'Заявка на звонок',
  'Обратный звонок',
  'Форма «Рассчитать стоимость»',
  'Запись на консультацию',
  'Форма в подвале сайта',
  'Онлайн-чат: оставить контакт',
];
export const CITIES = [
  'moscow',
  'saint petersburg',
  'kazan',
  'novosibirsk',
  'yekaterinburg',
  'nizhny novgorod',
  'krasnodar',
];
export const EMAIL_DOMAINS = ['yandex.ru', 'mail.ru', 'gmail.com', 'bk.ru', 'inbox.ru'];
export const LATIN = [
  'ivan',
  'anna',
  'maria',
  'sergey',
  'olga',
  'dmitry',
  'elena',
  'pavel',
  'kate',
  'max',
];
export const PAGES = ['/', '/catalog/', '/uslugi/remont/', '/kontakty/', '/akcii/', '/ceny/'];
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 YaBrowser/24.4',
];

/** Traffic sources as Calltouch shows them: source/medium plus utm tags (or "<не указано>"). */
export const TRAFFIC = [
  {
    source: 'yandex',
    medium: 'cpc',
    utmSource: 'yandex',
    utmMedium: 'cpc',
    utmCampaign: 'search_brand',
    keywords: 'ремонт квартир под ключ',
  },
  {
    source: 'yandex',
    medium: 'cpc',
    utmSource: 'yandex',
    utmMedium: 'cpc',
    utmCampaign: 'rsya_retarget',
    keywords: '(not set)',
  },
  {
    source: 'google',
    medium: 'cpc',
    utmSource: 'google',
    utmMedium: 'cpc',
    utmCampaign: 'search_general',
    keywords: 'ремонт ванной цена',
  },
  {
    source: 'vk',
    medium: 'social',
    utmSource: 'vk',
    utmMedium: 'social',
    utmCampaign: 'vk_lookalike',
    keywords: '(not set)',
  },
  {
    source: '(direct)',
    medium: '(none)',
    utmSource: '<не указано>',
    utmMedium: '<не указано>',
    utmCampaign: '<не указано>',
    keywords: '(not set)',
  },
  {
    source: 'yandex',
    medium: 'organic',
    utmSource: '<не указано>',
    utmMedium: '<не указано>',
    utmCampaign: '<не указано>',
    keywords: '(not set)',
  },
  {
    source: 'email',
    medium: 'newsletter',
    utmSource: 'email',
    utmMedium: 'newsletter',
    utmCampaign: 'march_promo',
    keywords: '(not set)',
  },
] as const;
