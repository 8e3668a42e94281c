export { accessRole, type PeopleAccess } from './access.js';
export { type EffectiveBranding, readBranding, writeBranding } from './branding.js';
export { changeQuota, createClient, createClientAsOperator, listClients } from './clients.js';
export { createMemberKey, listMemberKeys, revokeMemberKey } from './member-keys.js';
export {
  addMember,
  changeMemberRole,
  listMembership,
  type MemberAdded,
  type MemberInvitee,
  type MemberLimits,
  normalizeEmail,
  removeMember,
} from './members.js';
