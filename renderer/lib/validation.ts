// Renderer: the contract's input schemas for client-side checks, with zod kept from trying eval (the CSP forbids it).
import { z } from 'zod';
import { CLOUD_CHOICES, NewCaseInput, OpenFileInput, TenantChoiceInput } from '../../preload/contract';

// Without this, zod probes `new Function('')` once, which the CSP refuses and reports as a violation.
z.config({ jitless: true });

export { CLOUD_CHOICES, NewCaseInput, OpenFileInput, TenantChoiceInput };
