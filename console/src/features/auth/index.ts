export { SignInForm } from './components/SignInForm';
