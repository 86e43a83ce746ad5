// Public face of the people domain (pure TypeScript, no AWS): schemas, entities and rules,
// catalogue search and its tokeniser, mentor suggestions, Bioschemas JSON-LD, participation reports.
export * from './schema';
export * from './model';
export * from './rules';
export * from './ids';
export { tokenise, tokenSet } from './tokenise';
export { searchCourses, scoreCourse, type CourseFilters, type Ranked } from './search';
export { suggestMentors, placesFor, heldPlaces, isPriority, WEIGHTS, type PriorityPolicy, type Suggestion } from './mentoring';
export { courseJsonLd, SCHEMA_ORG_CONTEXT, CONFORMS_TO, COURSE_PROFILE, INSTANCE_PROFILE, type JsonLdContext } from './jsonld';
export { participationReport, type ParticipationFacts, type ParticipationReport } from './reports';
