/** The SecretBox that seals and opens destination secrets. */
export const DESTINATION_SECRET_BOX = Symbol('DESTINATION_SECRET_BOX');
