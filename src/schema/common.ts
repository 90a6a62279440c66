import type { CrispGeolocation } from "../crisp/types.js";
import { builder } from "./builder.js";

/** Small value types shared by several domains (no Crisp request of their own). */
export const GeolocationRef = builder.objectRef<CrispGeolocation>("Geolocation").implement({
  description:
    "Where Crisp located a visitor, person or company. Part of its parent: no extra Crisp request.",
  fields: (t) => ({
    country: t.string({
      nullable: true,
      description: "ISO 3166-1 alpha-2 country code.",
      resolve: (g) => g.country || null,
    }),
    region: t.string({ nullable: true, resolve: (g) => g.region || null }),
    city: t.string({ nullable: true, resolve: (g) => g.city || null }),
    latitude: t.float({ nullable: true, resolve: (g) => g.coordinates?.latitude ?? null }),
    longitude: t.float({ nullable: true, resolve: (g) => g.coordinates?.longitude ?? null }),
  }),
});
