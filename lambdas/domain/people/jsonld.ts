// A course as Bioschemas JSON-LD (Course 1.0-RELEASE with CourseInstance 1.0-RELEASE), so TeSS-style
// registries can harvest the catalogue. Names and descriptions carry both languages as
// language-tagged values. Required by the profiles: Course name, description, keywords;
// CourseInstance courseMode, location. test/unit/people/jsonld.test.ts expands every rendering
// with the shipped schema.org context (contexts/schema-org.jsonld) and checks them offline.
import type { Course, Instance, Org } from './model';

export const SCHEMA_ORG_CONTEXT = 'https://schema.org/';
export const CONFORMS_TO = 'http://purl.org/dc/terms/conformsTo';
export const COURSE_PROFILE = 'https://bioschemas.org/profiles/Course/1.0-RELEASE';
export const INSTANCE_PROFILE = 'https://bioschemas.org/profiles/CourseInstance/1.0-RELEASE';

const tagged = (b: { ko: string; en: string }) => [
  { '@value': b.en, '@language': 'en' },
  { '@value': b.ko, '@language': 'ko' },
];

/** Bioschemas' suggested courseMode labels. */
const MODE_LABEL = { online: 'online', 'in-person': 'onsite', hybrid: 'blended' } as const;

export interface JsonLdContext {
  /** Public base URL of the API (https://host/stage), for @id and url values. */
  baseUrl: string;
  provider: Org | null;
  /** Names of prerequisite courses, by id (those no longer in the catalogue are left out). */
  prerequisites: Pick<Course, 'id' | 'name'>[];
  /** Resource key → display name, from the stage configuration. */
  resourceNames: Record<string, string>;
}

function instanceLd(i: Instance, ctx: JsonLdContext, courseUrl: string): Record<string, unknown> {
  const location: unknown[] = [];
  if (i.place) {
    location.push({
      '@type': 'Place',
      name: i.place.name,
      address: { '@type': 'PostalAddress', ...(i.place.streetAddress ? { streetAddress: i.place.streetAddress } : {}), addressLocality: i.place.locality, addressRegion: i.place.region, addressCountry: i.place.country },
    });
  }
  if (i.link) location.push({ '@type': 'VirtualLocation', url: i.link });
  return {
    '@type': 'CourseInstance',
    '@id': `${ctx.baseUrl}/v1/programmes/instances/${i.id}`,
    [CONFORMS_TO]: { '@id': INSTANCE_PROFILE, '@type': 'CreativeWork' },
    courseMode: MODE_LABEL[i.mode],
    location: location.length === 1 ? location[0] : location,
    startDate: i.startDate,
    endDate: i.endDate,
    inLanguage: i.language,
    instructor: i.instructors.map((p) => ({ '@type': 'Person', name: p.name })),
    maximumAttendeeCapacity: i.capacity,
    eventStatus: { '@id': i.status === 'cancelled' ? 'https://schema.org/EventCancelled' : 'https://schema.org/EventScheduled' },
    offers: { '@type': 'Offer', price: 0, priceCurrency: 'KRW', validFrom: i.enrolmentOpens, validThrough: i.enrolmentCloses, url: `${courseUrl}#${i.id}` },
    url: `${ctx.baseUrl}/v1/programmes/instances/${i.id}`,
  };
}

export function courseJsonLd(c: Course, instances: readonly Instance[], ctx: JsonLdContext): Record<string, unknown> {
  const id = `${ctx.baseUrl}/v1/programmes/courses/${c.id}`;
  return {
    '@context': SCHEMA_ORG_CONTEXT,
    '@type': 'Course',
    '@id': id,
    [CONFORMS_TO]: { '@id': COURSE_PROFILE, '@type': 'CreativeWork' },
    name: tagged(c.name),
    description: tagged(c.description),
    keywords: c.keywords.join(', '),
    ...(c.code ? { courseCode: c.code } : {}),
    about: { '@type': 'DefinedTerm', name: c.field, termCode: c.field },
    educationalLevel: c.level,
    audience: c.audience.map((a) => ({ '@type': 'Audience', audienceType: a })),
    teaches: c.teaches,
    availableLanguage: c.languages,
    inLanguage: c.languages[0],
    ...(c.timeRequired ? { timeRequired: c.timeRequired } : {}),
    isAccessibleForFree: true,
    provider: ctx.provider
      ? { '@type': 'Organization', '@id': `${ctx.baseUrl}/v1/people/orgs/${ctx.provider.id}`, name: tagged(ctx.provider.names) }
      : { '@type': 'Organization', '@id': `${ctx.baseUrl}/v1/people/orgs/${c.providerOrgId}`, name: c.providerOrgId },
    coursePrerequisites: ctx.prerequisites.map((p) => ({ '@type': 'Course', '@id': `${ctx.baseUrl}/v1/programmes/courses/${p.id}`, name: tagged(p.name) })),
    mentions: c.resources.map((r) => ({ '@type': 'Thing', identifier: r, name: ctx.resourceNames[r] ?? r })),
    hasCourseInstance: instances.map((i) => instanceLd(i, ctx, id)),
    url: c.url ?? id,
  };
}
