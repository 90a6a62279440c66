/** Constants and word lists the seed generator draws from: realistic enough for demos. */

import type { WireGeolocation } from "../payloads.js";

/** Every seeded timestamp lies before this instant (2026-11-01T00:00:00Z), never `Date.now()`. */
export const SEED_ANCHOR = Date.UTC(2026, 10, 1);

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const WEBSITES = [
  { name: "Northwind Coffee", domain: "northwindcoffee.com" },
  { name: "Lumen Analytics", domain: "lumen-analytics.io" },
  { name: "Atelier Brio", domain: "atelierbrio.fr" },
  { name: "Harbor & Pine", domain: "harborandpine.co" },
  { name: "Kite Travel", domain: "kitetravel.com" },
  { name: "Pixelforge", domain: "pixelforge.dev" },
  { name: "Greenleaf Grocers", domain: "greenleafgrocers.com" },
  { name: "Orbit Bank", domain: "orbitbank.eu" },
] as const;

export const FIRST_NAMES = [
  "Alice",
  "Bruno",
  "Chloé",
  "Daniel",
  "Emma",
  "Farid",
  "Grace",
  "Hugo",
  "Inès",
  "Jonas",
  "Keiko",
  "Liam",
  "Maya",
  "Noah",
  "Olivia",
  "Pablo",
  "Quentin",
  "Rosa",
  "Samir",
  "Tara",
  "Ugo",
  "Valentina",
  "William",
  "Xavier",
  "Yuki",
  "Zoé",
  "Aarav",
  "Beatriz",
  "Carlos",
  "Dana",
];

export const LAST_NAMES = [
  "Martin",
  "Bernard",
  "Dubois",
  "Smith",
  "Johnson",
  "Müller",
  "Rossi",
  "García",
  "Silva",
  "Kim",
  "Nguyen",
  "Tanaka",
  "Kowalski",
  "Novak",
  "Andersen",
  "O'Brien",
  "Patel",
  "Cohen",
  "Moreau",
  "Fischer",
];

export const COMPANIES = [
  { name: "Acme Inc", domain: "acme-inc.com", tags: ["saas", "b2b"] },
  { name: "Globex", domain: "globex.io", tags: ["manufacturing"] },
  { name: "Initech", domain: "initech.com", tags: ["software", "enterprise"] },
  { name: "Umbrella Labs", domain: "umbrella-labs.com", tags: ["biotech"] },
  { name: "Stark Supplies", domain: "starksupplies.co", tags: ["retail"] },
  { name: "Wayne Logistics", domain: "waynelogistics.com", tags: ["logistics", "b2b"] },
  { name: "Hooli", domain: "hooli.xyz", tags: ["software"] },
  { name: "Vandelay Industries", domain: "vandelay.biz", tags: ["import", "export"] },
  { name: "Soylent Foods", domain: "soylentfoods.com", tags: ["food"] },
  { name: "Tyrell Systems", domain: "tyrell.systems", tags: ["robotics", "enterprise"] },
];

export const EMAIL_DOMAINS = ["gmail.com", "outlook.com", "proton.me", "yahoo.fr", "icloud.com"];

export interface Place {
  geolocation: Required<Pick<WireGeolocation, "country" | "region" | "city">> & {
    coordinates: { latitude: number; longitude: number };
  };
  /** Minutes from UTC as Crisp reports them (the sign of JavaScript's getTimezoneOffset). */
  timezone: number;
  locales: string[];
  phonePrefix: string;
}

const place = (
  country: string,
  region: string,
  city: string,
  latitude: number,
  longitude: number,
  timezone: number,
  locales: string[],
  phonePrefix: string,
): Place => ({
  geolocation: { country, region, city, coordinates: { latitude, longitude } },
  timezone,
  locales,
  phonePrefix,
});

export const PLACES: Place[] = [
  place("US", "CA", "San Francisco", 37.7749, -122.4194, 480, ["en"], "+1 415"),
  place("US", "NY", "New York", 40.7128, -74.006, 300, ["en", "es"], "+1 212"),
  place("FR", "IDF", "Paris", 48.8566, 2.3522, -60, ["fr", "en"], "+33 6"),
  place("FR", "ARA", "Lyon", 45.764, 4.8357, -60, ["fr"], "+33 7"),
  place("DE", "BE", "Berlin", 52.52, 13.405, -60, ["de", "en"], "+49 30"),
  place("GB", "ENG", "London", 51.5074, -0.1278, 0, ["en"], "+44 20"),
  place("ES", "MD", "Madrid", 40.4168, -3.7038, -60, ["es", "en"], "+34 6"),
  place("NL", "NH", "Amsterdam", 52.3676, 4.9041, -60, ["nl", "en"], "+31 6"),
  place("JP", "13", "Tokyo", 35.6762, 139.6503, -540, ["ja", "en"], "+81 3"),
  place("BR", "SP", "São Paulo", -23.5505, -46.6333, 180, ["pt"], "+55 11"),
  place("IN", "MH", "Mumbai", 19.076, 72.8777, -330, ["en", "hi"], "+91 22"),
  place("CA", "ON", "Toronto", 43.6532, -79.3832, 300, ["en", "fr"], "+1 416"),
  place("AU", "NSW", "Sydney", -33.8688, 151.2093, -660, ["en"], "+61 2"),
];

export interface Platform {
  os: { name: string; version: string };
  engine: { name: string; version: string };
  browser: { name: string; version: string; major: string };
  useragent: string;
}

/** A browser on an OS; `major` is the browser version's first number, as Crisp reports it. */
const platform = (
  [osName, osVersion]: readonly [string, string],
  [engineName, engineVersion]: readonly [string, string],
  [browserName, browserVersion]: readonly [string, string],
  useragent: string,
): Platform => ({
  os: { name: osName, version: osVersion },
  engine: { name: engineName, version: engineVersion },
  browser: {
    name: browserName,
    version: browserVersion,
    major: browserVersion.split(".")[0] ?? "",
  },
  useragent,
});

export const PLATFORMS: Platform[] = [
  platform(
    ["Mac OS", "14.6.1"],
    ["Blink", "130.0.0.0"],
    ["Chrome", "130.0.6723.92"],
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.92 Safari/537.36",
  ),
  platform(
    ["Windows", "10"],
    ["Gecko", "132.0"],
    ["Firefox", "132.0"],
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
  ),
  platform(
    ["iOS", "18.1"],
    ["WebKit", "605.1.15"],
    ["Mobile Safari", "18.1"],
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  ),
  platform(
    ["Android", "14"],
    ["Blink", "130.0.0.0"],
    ["Chrome", "130.0.6723.102"],
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
  ),
  platform(
    ["Windows", "10"],
    ["Blink", "130.0.0.0"],
    ["Edge", "130.0.2849.68"],
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68",
  ),
];

export const SEGMENTS = [
  "customer",
  "lead",
  "vip",
  "trial",
  "churn-risk",
  "partner",
  "newsletter",
  "friend",
];

export const SUBJECTS = [
  "Question about my order",
  "Invoice request",
  "Cannot log in",
  "Refund for last month",
  "Partnership proposal",
  "Feature request: dark mode",
  "Shipping delay",
  "Upgrade my plan",
];

export const USER_TEXTS = [
  "Hi there! I have a question about my subscription.",
  "Hello, my order hasn't arrived yet.",
  "Can I change the email on my account?",
  "Is there a discount for annual billing?",
  "The checkout page shows an error when I pay.",
  "Thanks, that worked!",
  "Could you send me the invoice for October?",
  "I can't find the export button anywhere.",
  "Do you ship to Canada?",
  "Great, thanks a lot.",
  "Any news on this?",
  "All right, thanks.",
  "My password reset email never arrives.",
  "How do I add a teammate?",
  "Is the API rate limited?",
];

export const OPERATOR_TEXTS = [
  "Hello! Thanks for reaching out, let me check that for you.",
  "Could you share your order number?",
  "I've just resent the email, can you check your spam folder?",
  "Yes, annual plans come with two months free.",
  "I've escalated this to our billing team.",
  "You'll find it under Settings → Export.",
  "We ship worldwide, including Canada.",
  "Glad I could help! Anything else?",
  "I'm sorry for the delay, it should arrive tomorrow.",
  "You can invite teammates from the Team page.",
  "I'll mark this as resolved, feel free to write again.",
];

export const NOTE_TEXTS = [
  "Customer is on the legacy plan, check before upgrading.",
  "Refund approved by finance.",
  "Possible duplicate account, see the other conversation.",
  "VIP: answer within the hour.",
];

export const FILES = [
  { name: "invoice-2026-10.pdf", type: "application/pdf" },
  { name: "screenshot.png", type: "image/png" },
  { name: "order-details.csv", type: "text/csv" },
  { name: "error-log.txt", type: "text/plain" },
];

export const PAGES = [
  { page_title: "Pricing", path: "pricing" },
  { page_title: "Checkout", path: "checkout" },
  { page_title: "Home", path: "" },
  { page_title: "Help Center", path: "help" },
  { page_title: "My account", path: "account" },
  { page_title: "Blog — What's new", path: "blog/whats-new" },
];

export const TITLES = ["Support Lead", "Customer Success", "Support Agent", "Sales", "Founder"];

export const PLANS = [
  { id: "8c5b0b3c-2d4f-4a8e-9d5c-1f4a2b3c4d5e", name: "Essentials", trialing: false },
  { id: "5a1e2f3b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", name: "Plus", trialing: false },
  { id: "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", name: "Mini", trialing: true },
];
