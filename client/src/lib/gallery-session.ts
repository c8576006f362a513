/**
 * What the gallery pages remember for this browser tab (sessionStorage: closing the tab forgets it): the
 * API key they send (`Authorization: Bearer`, and `apiKey` in the WebSocket connection params), and the
 * gallery chosen on one page, preselected on the other.
 */
import { createSignal } from 'solid-js';

const STORAGE = 'facegate.apiKey';

function stored(): string {
  try {
    return sessionStorage.getItem(STORAGE) ?? '';
  } catch {
    return '';
  }
}

const [key, setKey] = createSignal(typeof sessionStorage === 'undefined' ? '' : stored());

export const apiKey = key;

export function setApiKey(value: string): void {
  const v = value.trim();
  setKey(v);
  try {
    if (v) sessionStorage.setItem(STORAGE, v);
    else sessionStorage.removeItem(STORAGE);
  } catch {
    // private mode without storage: the key lasts until reload
  }
}

/** The gallery chosen on the Gallery page, preselected on Identify (same tab). */
const GALLERY = 'facegate.galleryId';
const [gallery, setGallerySignal] = createSignal(typeof sessionStorage === 'undefined' ? '' : (sessionStorage.getItem(GALLERY) ?? ''));
export const chosenGallery = gallery;
export function chooseGallery(id: string): void {
  setGallerySignal(id);
  try {
    if (id) sessionStorage.setItem(GALLERY, id);
    else sessionStorage.removeItem(GALLERY);
  } catch {
    // see above
  }
}
