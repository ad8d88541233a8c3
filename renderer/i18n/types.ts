// Renderer: the catalogs' shape. Japanese has no separate singular, so `_one` keys are English-only.
export type CatalogShape<T> = {
  [K in keyof T as K extends `${string}_one` ? never : K]: T[K] extends string ? string : CatalogShape<T[K]>;
};
