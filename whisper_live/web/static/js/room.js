// The page's room panel (docs/rooms.md): publish the transcript into a room that others follow live, with a
// speaker name and public or private readers, then show the room's reader link and a QR code of it.
//
// The room travels in the options frame (room, speaker_name, room_public) and in the WebSocket URL as
// ?room=NAME, which a load balancer sticks on so that a room's publishers meet on one server
// (docs/scaling.md). The reader link comes from SERVER_READY (room_page, with the reader token of a private
// room); its QR code is drawn by the server that holds the room (/v1/rooms/NAME/qr.svg).

export const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const $ = (id) => document.getElementById(id);

// {room, speakerName, roomPublic} as typed in the panel ('' room: publish nowhere).
export function readRoom() {
  return { room: $('room').value.trim(), speakerName: $('speakerName').value.trim(), roomPublic: $('roomPublic').checked };
}

// The WebSocket URL with ?room=NAME (unchanged without a room).
export function withRoom(url, room) {
  if (!room) return url;
  const u = new URL(url);
  u.searchParams.set('room', room);
  return u.toString();
}

// The QR code's address: the server of the reader link draws it, for that link only.
export function qrAddress(link) {
  const page = new URL(link);
  const room = decodeURIComponent(page.pathname.split('/').pop());
  return `${page.origin}/v1/rooms/${encodeURIComponent(room)}/qr.svg?url=${encodeURIComponent(link)}`;
}

// SERVER_READY's room fields ({room, page, ...} from protocol.js), or null: show the link and its QR code.
export function showRoom(room) {
  const box = $('room-link');
  if (!room || !room.page) {
    box.hidden = true;
    return;
  }
  const link = $('room-page');
  link.href = room.page;
  link.textContent = room.page;
  $('room-qr').src = qrAddress(room.page);
  $('room-access').textContent = room.public ? 'Anyone with the link can read.' : 'Private: the link carries the reader token.';
  box.hidden = false;
}

export function clearRoom() {
  $('room-link').hidden = true;
  $('room-qr').removeAttribute('src');
}

// Lock the room fields while a session runs.
export function lockRoom(locked) {
  for (const id of ['room', 'speakerName', 'roomPublic']) $(id).disabled = locked;
}
