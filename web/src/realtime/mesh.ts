/**
 * WebRTC mesh: one RTCPeerConnection per remote peer, negotiated with the perfect-negotiation
 * pattern over the events socket's `signal` messages. The newcomer starts each connection with
 * one audio and one video transceiver; the other side answers on them. Local tracks are swapped
 * with `replaceTrack`, so mute, camera off, a device change and screen sharing never renegotiate.
 */
import type { MediaState, Peer, SignalData } from "./protocol";

export type TrackKind = "audio" | "video";

export interface RemotePeer {
  peer: Peer;
  stream: MediaStream;
  state: RTCPeerConnectionState;
  /** What the peer says it sends; null until they tell. */
  media: MediaState | null;
}

type Send = (to: string, data: SignalData) => void;

class PeerLink {
  readonly pc: RTCPeerConnection;
  readonly stream = new MediaStream();
  media: MediaState | null = null;
  private makingOffer = false;
  private ignoreOffer = false;
  private queue: Promise<void> = Promise.resolve();
  private peer: Peer;
  private readonly polite: boolean;
  private readonly mesh: PeerMesh;

  constructor(mesh: PeerMesh, peer: Peer, polite: boolean, iceServers: RTCIceServer[]) {
    this.mesh = mesh;
    this.peer = peer;
    this.polite = polite;
    this.pc = new RTCPeerConnection({ iceServers });
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.mesh.send(this.peer.peer_id, { candidate: candidate.toJSON() });
    };
    this.pc.ontrack = ({ track }) => {
      for (const old of this.stream.getTracks()) {
        if (old.kind === track.kind && old !== track) this.stream.removeTrack(old);
      }
      if (!this.stream.getTracks().includes(track)) this.stream.addTrack(track);
      this.mesh.changed();
    };
    this.pc.onconnectionstatechange = () => this.mesh.changed();
    this.pc.oniceconnectionstatechange = () => {
      // A network change leaves ICE failed; a restart finds new candidate pairs.
      if (this.pc.iceConnectionState === "failed") this.pc.restartIce();
    };
  }

  get info(): RemotePeer {
    return { peer: this.peer, stream: this.stream, state: this.pc.connectionState, media: this.media };
  }

  /** Starts the connection from this side: the transceivers fire `negotiationneeded`. */
  initiate(tracks: Record<TrackKind, MediaStreamTrack | null>): void {
    for (const kind of ["audio", "video"] as const) {
      const track = tracks[kind];
      if (track) this.pc.addTransceiver(track, { direction: "sendrecv" });
      else this.pc.addTransceiver(kind, { direction: "sendrecv" });
    }
  }

  async setTrack(kind: TrackKind, track: MediaStreamTrack | null): Promise<void> {
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.receiver.track.kind === kind && transceiver.currentDirection !== "stopped") {
        await transceiver.sender.replaceTrack(track);
      }
    }
  }

  handle(data: SignalData): void {
    if ("media" in data) {
      this.media = { audio: data.media.audio === true, video: data.media.video === true };
      this.mesh.changed();
      return;
    }
    // Signals must apply in order; each waits for the previous one.
    this.queue = this.queue.then(() => this.apply(data)).catch((error: unknown) => {
      console.warn("signal failed", error);
    });
  }

  restartIce(): void {
    this.pc.restartIce();
  }

  close(): void {
    this.pc.close();
    for (const track of this.stream.getTracks()) track.stop();
  }

  private async offer(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      if (this.pc.localDescription) this.mesh.send(this.peer.peer_id, { description: this.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn("offer failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  private async apply(data: SignalData): Promise<void> {
    if ("description" in data) {
      const description = data.description;
      const collision = description.type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await this.pc.setRemoteDescription(description);
      if (description.type === "offer") {
        // Send our media on the transceivers the offer created (they arrive as recvonly).
        for (const transceiver of this.pc.getTransceivers()) {
          if (transceiver.currentDirection === "stopped") continue;
          const kind = transceiver.receiver.track.kind as TrackKind;
          if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") {
            transceiver.direction = "sendrecv";
          }
          if (transceiver.sender.track !== this.mesh.tracks[kind]) {
            await transceiver.sender.replaceTrack(this.mesh.tracks[kind]);
          }
        }
        await this.pc.setLocalDescription();
        if (this.pc.localDescription) this.mesh.send(this.peer.peer_id, { description: this.pc.localDescription.toJSON() });
      }
    } else if ("candidate" in data && data.candidate) {
      try {
        await this.pc.addIceCandidate(data.candidate);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
    }
  }

  rename(peer: Peer): void {
    this.peer = peer;
  }
}

export class PeerMesh {
  readonly tracks: Record<TrackKind, MediaStreamTrack | null> = { audio: null, video: null };
  private links = new Map<string, PeerLink>();
  private selfId = "";
  private iceServers: RTCIceServer[] = [];
  private readonly sendSignal: Send;
  private readonly onChange: () => void;

  constructor(sendSignal: Send, onChange: () => void) {
    this.sendSignal = sendSignal;
    this.onChange = onChange;
  }

  /** A new welcome: forget old connections, then call every peer already in the room. */
  reset(selfId: string, iceServers: RTCIceServer[], peers: Peer[]): void {
    this.closeAll();
    this.selfId = selfId;
    this.iceServers = iceServers;
    for (const peer of peers) {
      if (peer.peer_id === selfId) continue;
      this.link(peer).initiate(this.tracks);
    }
    this.changed();
  }

  /** A peer joined: they will call us; remember their name until their offer arrives. */
  joined(peer: Peer): void {
    this.links.get(peer.peer_id)?.rename(peer);
    this.pending.set(peer.peer_id, peer);
  }

  private pending = new Map<string, Peer>();

  left(peerId: string): void {
    this.pending.delete(peerId);
    const link = this.links.get(peerId);
    if (!link) return;
    link.close();
    this.links.delete(peerId);
    this.changed();
  }

  signal(from: string, data: SignalData): void {
    if (!this.selfId) return;
    const known = this.pending.get(from) ?? { peer_id: from, name: "Guest", role: "candidate" as const };
    const link = this.links.get(from) ?? this.link(known);
    link.handle(data);
  }

  async setTrack(kind: TrackKind, track: MediaStreamTrack | null): Promise<void> {
    this.tracks[kind] = track;
    this.announce();
    await Promise.all([...this.links.values()].map((link) => link.setTrack(kind, track)));
  }

  /** Tells every peer whether our microphone and camera are on (after any change). */
  announce(to?: string): void {
    const media = this.mediaState();
    for (const peerId of to ? [to] : this.links.keys()) this.sendSignal(peerId, { media });
  }

  private mediaState(): MediaState {
    const { audio, video } = this.tracks;
    return { audio: !!audio && audio.enabled && audio.readyState === "live", video: !!video && video.readyState === "live" };
  }

  restartIce(): void {
    for (const link of this.links.values()) link.restartIce();
  }

  remotes(): RemotePeer[] {
    return [...this.links.values()].map((link) => link.info);
  }

  close(): void {
    this.closeAll();
    this.selfId = "";
  }

  send(to: string, data: SignalData): void {
    this.sendSignal(to, data);
  }

  changed(): void {
    this.onChange();
  }

  private link(peer: Peer): PeerLink {
    // Polite peer = the larger id; it yields on an offer collision.
    const link = new PeerLink(this, peer, this.selfId > peer.peer_id, this.iceServers);
    this.links.set(peer.peer_id, link);
    this.announce(peer.peer_id);
    return link;
  }

  private closeAll(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.changed();
  }
}
