/** AAGUIDs of well-known authenticators, as the `aaguids` package names them. */
export const YUBIKEY_5 = 'cb69481e-8ff7-4039-93ec-0a2729a154a8' // "YubiKey 5 Series"
export const GOOGLE_PASSWORD_MANAGER = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4'
export const ICLOUD_KEYCHAIN = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd' // now "Apple Passwords"
export const WINDOWS_HELLO = '08987058-cadc-4b81-b6e1-30de50dcbe96'
/** A model nobody lists. */
export const UNLISTED = '11111111-2222-4333-8444-555555555555'
